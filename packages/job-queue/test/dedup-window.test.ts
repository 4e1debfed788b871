import { createActionRegistry, ObserverError } from '@fraiseql/observers';
import { requireService, uniqueName, waitFor } from '@fraiseql/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createJobQueue, createJobWorker, type NewJob } from '../src/index.js';
import { observerSet, recordingMetrics, testEvent } from './fixture.js';

const redis = await requireService('redis');

describe.skipIf(redis === undefined)('the dedup window of enqueue', () => {
  const prefix = uniqueName('jqd');
  const url = redis?.url ?? '';
  const metrics = recordingMetrics();
  const queue = createJobQueue({ redisUrl: url, prefix, keepFinished: '1s', metrics });
  const registry = createActionRegistry();
  const runs = new Map<string, number>();
  registry.registerFunction('count', (event) => {
    runs.set(event.id, (runs.get(event.id) ?? 0) + 1);
  });
  registry.registerFunction('refuse', () => {
    throw new ObserverError('ACTION_FAILED', 'HTTP 400', {
      retryable: false,
      errorType: 'http_4xx',
    });
  });
  const observers = observerSet({
    count: { actions: [{ type: 'function', name: 'count' }] },
    refuse: { actions: [{ type: 'function', name: 'refuse' }] },
  });
  const worker = createJobWorker({
    redisUrl: url,
    prefix,
    queue: 'window',
    keepFinished: '1s',
    registry,
    observers,
    metricsInterval: false,
  });

  afterAll(async () => {
    await worker.close();
    await queue.bullQueue('window').obliterate({ force: true });
    const store = await queue.deadLetters();
    await store.remove('window', await store.idsUpTo('window', Date.now(), 1000));
    await queue.close();
    await registry.close();
  });

  it('a finished job blocks its id for keepFinished, then the same id runs again, with no other job finishing in between', async () => {
    await worker.start();
    const event = testEvent();
    const job: NewJob = {
      event,
      observer: 'count',
      actionIndex: 0,
      actionType: 'function',
      queue: 'window',
    };
    const { jobId, outcome } = await queue.enqueue(job);
    expect(outcome).toBe('enqueued');
    const bull = queue.bullQueue('window');
    const first = await waitFor(async () => (await bull.getJob(jobId))?.finishedOn, {
      message: 'first run finished',
    });
    expect((await queue.enqueue(job)).outcome).toBe('duplicate-finished');
    // Past the window (1 s after it finished) the id is free again.
    await waitFor(() => Date.now() - first > 1000, { timeoutMs: 5000 });
    expect((await queue.enqueue(job)).outcome).toBe('enqueued');
    await waitFor(() => runs.get(event.id) === 2, { timeoutMs: 10_000, message: 'second run' });
    const queued = (metrics.calls.get('jobQueued') ?? []).length;
    expect(queued).toBe(2);
  });

  it('re-enqueueing a dead-lettered id says so and adds nothing; enqueueMany reports each job', async () => {
    const event = testEvent();
    const dead: NewJob = {
      event,
      observer: 'refuse',
      actionIndex: 0,
      actionType: 'function',
      queue: 'window',
    };
    const { jobId } = await queue.enqueue(dead);
    const store = await queue.deadLetters();
    await waitFor(async () => store.get('window', jobId), {
      timeoutMs: 10_000,
      message: 'dead letter',
    });
    expect(await queue.enqueue(dead)).toEqual({ jobId, queue: 'window', outcome: 'dead-lettered' });

    const fresh: NewJob = { ...dead, event: testEvent(), observer: 'count' };
    const placed = await queue.enqueueMany([fresh, fresh, dead]);
    expect(placed.map((p) => p.outcome)).toEqual([
      'enqueued',
      'duplicate-pending',
      'dead-lettered',
    ]);
  });

  it('of concurrent enqueues of one id from two producers, exactly one adds the job', async () => {
    const other = createJobQueue({ redisUrl: url, prefix, keepFinished: '1s' });
    try {
      const job: NewJob = {
        event: testEvent(),
        observer: 'count',
        actionIndex: 0,
        actionType: 'function',
        queue: 'window',
      };
      const placed = await Promise.all([
        queue.enqueue(job),
        other.enqueue(job),
        queue.enqueue(job),
        other.enqueueMany([job, job]),
      ]);
      const outcomes = placed.flat().map((p) => p.outcome);
      expect(outcomes.filter((o) => o === 'enqueued')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'enqueued' || o.startsWith('duplicate-'))).toHaveLength(
        5,
      );
      await waitFor(() => runs.get(job.event.id) === 1, { timeoutMs: 10_000, message: 'one run' });
    } finally {
      await other.close();
    }
  });

  it('a dead letter purged, its failed copy past keepFinished is replaced and the work runs again', async () => {
    const dead: NewJob = {
      event: testEvent(),
      observer: 'refuse',
      actionIndex: 0,
      actionType: 'function',
      queue: 'window',
    };
    const { jobId } = await queue.enqueue(dead);
    const store = await queue.deadLetters();
    const first = await waitFor(async () => store.get('window', jobId), {
      timeoutMs: 10_000,
      message: 'dead letter',
    });
    await store.remove('window', [jobId]);
    const bull = queue.bullQueue('window');
    const finishedOn = await waitFor(async () => (await bull.getJob(jobId))?.finishedOn, {
      message: 'failed copy',
    });
    // Within the window the failed copy still blocks the id; past it, it is removed first.
    expect((await queue.enqueue(dead)).outcome).toBe('duplicate-finished');
    await waitFor(() => Date.now() - finishedOn > 1000, { timeoutMs: 5000 });
    // The worker's `failed` listener does not write back the dead letter the processor wrote
    // and the operator removed.
    expect(await store.get('window', jobId)).toBeUndefined();
    expect((await queue.enqueue(dead)).outcome).toBe('enqueued');
    const second = await waitFor(async () => store.get('window', jobId), {
      timeoutMs: 10_000,
      message: 'second dead letter',
    });
    expect(second.deadAt).toBeGreaterThan(first.deadAt);
  });
});
