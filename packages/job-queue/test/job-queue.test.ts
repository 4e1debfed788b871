import { createActionRegistry, ObserverError, type ActionRegistry } from '@fraiseql/observers';
import { requireService, uniqueName, waitFor } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createJobQueue,
  createJobQueueAdmin,
  createJobWorker,
  jobIdOf,
  type JobQueue,
  type JobWorker,
} from '../src/index.js';
import { observerSet, recordingMetrics, testEvent } from './fixture.js';

const redis = await requireService('redis');

describe.skipIf(redis === undefined)('job queue on Redis', () => {
  const prefix = uniqueName('jq');
  const metrics = recordingMetrics();
  let registry: ActionRegistry;
  let queue: JobQueue;
  const workers: JobWorker[] = [];
  const calls = new Map<string, number[]>();
  let transientFailures = 0;
  let exhaustedSucceeds = false;

  const called = (key: string): number[] => calls.get(key) ?? [];
  const note = (key: string): number => {
    const list = [...called(key), Date.now()];
    calls.set(key, list);
    return list.length;
  };

  const observers = observerSet({
    ok: { actions: [{ type: 'function', name: 'ok' }] },
    transient: {
      actions: [{ type: 'function', name: 'transient' }],
      retry: { strategy: 'exponential', maxAttempts: 5, initialDelay: 200, maxDelay: 10_000 },
    },
    permanent: { actions: [{ type: 'function', name: 'permanent' }] },
    exhausted: {
      actions: [{ type: 'function', name: 'exhausted' }],
      retry: { strategy: 'fixed', maxAttempts: 3, initialDelay: 10 },
    },
  });

  const startWorker = async (queueName: string): Promise<JobWorker> => {
    const worker = createJobWorker({
      redisUrl: redis?.url ?? '',
      prefix,
      queue: queueName,
      registry,
      observers,
      metrics,
      metricsInterval: false,
      // Full delays (no jitter) so the growth of retry delays is observable.
      random: () => 0.999_999,
    });
    workers.push(worker);
    await worker.start();
    return worker;
  };

  beforeAll(() => {
    registry = createActionRegistry();
    registry.registerFunction('ok', (event) => {
      note(`ok:${event.id}`);
    });
    registry.registerFunction('transient', (event) => {
      const n = note(`transient:${event.id}`);
      if (n <= transientFailures) throw new Error(`flaky ${String(n)}`);
    });
    registry.registerFunction('permanent', (event) => {
      note(`permanent:${event.id}`);
      throw new ObserverError('ACTION_FAILED', 'HTTP 400 from the receiver', {
        retryable: false,
        errorType: 'http_4xx',
      });
    });
    registry.registerFunction('exhausted', (event) => {
      note(`exhausted:${event.id}`);
      if (!exhaustedSucceeds) throw new Error('still down');
    });
    queue = createJobQueue({ redisUrl: redis?.url ?? '', prefix, metrics });
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    for (const name of ['dedup', 'retry', 'dead', 'metrics-q', 'malformed']) {
      await queue.bullQueue(name).obliterate({ force: true });
    }
    const store = await queue.deadLetters();
    await store.remove('dead', await store.idsUpTo('dead', Date.now(), 1000));
    await store.remove('malformed', await store.idsUpTo('malformed', Date.now(), 1000));
    await queue.close();
    await registry.close();
  });

  it('enqueuing the same work twice makes one job, run once', async () => {
    const event = testEvent();
    const job = { event, observer: 'ok', actionIndex: 0, actionType: 'function', queue: 'dedup' };
    const first = await queue.enqueue(job);
    const second = await queue.enqueue(job);
    expect(first.jobId).toBe(jobIdOf(event.id, 'ok', 0));
    expect(second.jobId).toBe(first.jobId);
    expect([first.outcome, second.outcome]).toEqual(['enqueued', 'duplicate-pending']);
    const counts = await queue.bullQueue('dedup').getJobCounts('waiting');
    expect(counts.waiting).toBe(1);

    await startWorker('dedup');
    await waitFor(async () => (await queue.bullQueue('dedup').getJob(first.jobId))?.finishedOn, {
      message: 'job finished',
    });
    // A third enqueue after completion (within keepFinished) is still a no-op.
    expect((await queue.enqueue(job)).outcome).toBe('duplicate-finished');
    expect((await queue.bullQueue('dedup').getJobCounts('waiting')).waiting).toBe(0);
    expect(called(`ok:${event.id}`)).toHaveLength(1);
  });

  it('retries a transient failure with growing delays until it succeeds', async () => {
    transientFailures = 2;
    await startWorker('retry');
    const event = testEvent();
    const { jobId } = await queue.enqueue({
      event,
      observer: 'transient',
      actionIndex: 0,
      actionType: 'function',
      queue: 'retry',
    });
    const job = await waitFor(
      async () => {
        const current = await queue.bullQueue('retry').getJob(jobId);
        return current?.finishedOn === undefined ? undefined : current;
      },
      { timeoutMs: 10_000, message: 'job finished' },
    );
    expect(job.returnvalue).toMatchObject({ attempt: 3 });
    expect(job.data.attempts.map((attempt) => attempt.error?.errorType)).toEqual([
      'handler',
      'handler',
    ]);
    const times = called(`transient:${event.id}`);
    expect(times).toHaveLength(3);
    const [t1 = 0, t2 = 0, t3 = 0] = times;
    // Exponential from 200 ms: the job cannot run again before its delay passed.
    expect(t2 - t1).toBeGreaterThanOrEqual(190);
    expect(t3 - t2).toBeGreaterThanOrEqual(390);
    expect((await (await queue.deadLetters()).get('retry', jobId)) === undefined).toBe(true);
  });

  it('dead-letters a permanent failure at once, and an exhausted one after its attempts; replay succeeds', async () => {
    await startWorker('dead');
    const admin = createJobQueueAdmin({ queue, queues: ['dead'], metrics });
    const permanentEvent = testEvent();
    const exhaustedEvent = testEvent();
    const permanent = await queue.enqueue({
      event: permanentEvent,
      observer: 'permanent',
      actionIndex: 0,
      actionType: 'function',
      queue: 'dead',
    });
    const exhausted = await queue.enqueue({
      event: exhaustedEvent,
      observer: 'exhausted',
      actionIndex: 0,
      actionType: 'function',
      queue: 'dead',
    });
    await waitFor(async () => (await admin.dlq.list('dead')).length === 2, {
      timeoutMs: 10_000,
      message: 'two dead letters',
    });

    const dead = await admin.dlq.show('dead', permanent.jobId);
    expect(dead.reason).toBe('permanent');
    expect(dead.error).toMatchObject({ errorType: 'http_4xx', retryable: false });
    expect(dead.data.attempts).toHaveLength(1);
    expect(dead.data.event.id).toBe(permanentEvent.id);
    expect(called(`permanent:${permanentEvent.id}`)).toHaveLength(1);

    const exhaustedDead = await admin.dlq.show('dead', exhausted.jobId);
    expect(exhaustedDead.reason).toBe('max-attempts');
    expect(exhaustedDead.data.attempts.map((attempt) => attempt.attempt)).toEqual([1, 2, 3]);
    expect(called(`exhausted:${exhaustedEvent.id}`)).toHaveLength(3);

    const [stats] = await admin.stats();
    expect(stats).toMatchObject({ queue: 'dead', deadLettered: 2, failed: 2 });

    // The receiver is back: replay runs the job again with a fresh attempt count.
    exhaustedSucceeds = true;
    await admin.dlq.replay('dead', exhausted.jobId);
    const replayed = await waitFor(
      async () => {
        const job = await queue.bullQueue('dead').getJob(exhausted.jobId);
        return job?.finishedOn !== undefined && job.returnvalue !== null ? job : undefined;
      },
      { timeoutMs: 10_000, message: 'replayed job finished' },
    );
    expect(replayed.returnvalue).toMatchObject({ attempt: 1 });
    expect(replayed.data.replays).toBe(1);
    expect(called(`exhausted:${exhaustedEvent.id}`)).toHaveLength(4);
    expect(await admin.dlq.list('dead')).toHaveLength(1);
    await expect(admin.dlq.show('dead', exhausted.jobId)).rejects.toMatchObject({
      code: 'JOB_NOT_FOUND',
    });

    // Purge by age: nothing is older than an hour, everything is older than 0 ms.
    expect(await admin.dlq.purge('dead', { olderThan: '1h' })).toBe(0);
    expect(await admin.dlq.purge('dead', { olderThan: 0 })).toBe(1);
    expect(await admin.dlq.list('dead')).toHaveLength(0);
  });

  it('reports every job metric through the seam', async () => {
    const worker = await startWorker('metrics-q');
    const admin = createJobQueueAdmin({ queue, queues: ['metrics-q'], metrics });
    transientFailures = 1;
    const event = testEvent();
    await queue.enqueue({
      event,
      observer: 'transient',
      actionIndex: 0,
      actionType: 'function',
      queue: 'metrics-q',
    });
    await waitFor(() => called(`transient:${event.id}`).length === 2, { timeoutMs: 10_000 });
    await waitFor(() =>
      (metrics.calls.get('jobExecuted') ?? []).some((args) => args[0] === 'metrics-q'),
    );
    await worker.sampleMetrics();
    await admin.stats();
    const of = (name: string): unknown[][] =>
      (metrics.calls.get(name) ?? []).filter((args) => args[0] === 'metrics-q');
    expect(of('jobQueued')).toEqual([['metrics-q', 'function']]);
    expect(of('jobExecuted')).toEqual([['metrics-q', 'function', expect.any(Number)]]);
    expect(of('jobFailed')).toEqual([['metrics-q', 'function', 'handler', expect.any(Number)]]);
    expect(of('jobRetried')).toEqual([['metrics-q', 'function']]);
    expect(of('queueDepth')).toContainEqual(['metrics-q', 'waiting', 0]);
    expect(of('dlqItems')).toContainEqual(['metrics-q', 0]);
  });

  it('dead-letters a job whose event cannot be read instead of retrying it', async () => {
    await startWorker('malformed');
    const event = { ...testEvent(), seq: -1n };
    const { jobId } = await queue.enqueue({
      event,
      observer: 'ok',
      actionIndex: 0,
      actionType: 'function',
      queue: 'malformed',
    });
    const dead = await waitFor(async () => (await queue.deadLetters()).get('malformed', jobId), {
      message: 'malformed job dead-lettered',
    });
    expect(dead).toMatchObject({ reason: 'permanent', error: { errorType: 'malformed_event' } });
    expect(called(`ok:${event.id}`)).toHaveLength(0);
  });
});
