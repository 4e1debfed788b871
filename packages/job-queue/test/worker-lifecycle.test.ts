import { createActionRegistry, type ActionRegistry } from '@fraiseql/observers';
import { requireService, uniqueName, waitFor } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobQueue, createJobWorker, type JobQueue } from '../src/index.js';
import { observerSet, testEvent } from './fixture.js';

const redis = await requireService('redis');

describe.skipIf(redis === undefined)('job worker lifecycle', () => {
  const prefix = uniqueName('jql');
  const started: { id: string; at: number }[] = [];
  const finished: string[] = [];
  let release: (() => void) | undefined;
  let holdForever = true;
  let registry: ActionRegistry;
  let queue: JobQueue;
  const observers = observerSet({
    slow: { actions: [{ type: 'function', name: 'slow' }] },
    quick: { actions: [{ type: 'function', name: 'quick' }] },
  });
  const worker = (queueName: string, extra: object = {}) =>
    createJobWorker({
      redisUrl: redis?.url ?? '',
      prefix,
      queue: queueName,
      registry,
      observers,
      metricsInterval: false,
      ...extra,
    });

  beforeAll(() => {
    registry = createActionRegistry();
    registry.registerFunction('slow', async (event, context) => {
      started.push({ id: event.id, at: Date.now() });
      await new Promise<void>((resolve, reject) => {
        release = resolve;
        if (!holdForever) setTimeout(resolve, 200);
        context.signal.addEventListener('abort', () => {
          reject(new Error('aborted'));
        });
      });
      finished.push(event.id);
    });
    registry.registerFunction('quick', (event) => {
      started.push({ id: event.id, at: Date.now() });
    });
    queue = createJobQueue({ redisUrl: redis?.url ?? '', prefix });
  });

  afterAll(async () => {
    for (const name of ['drain', 'handback', 'limited']) {
      await queue.bullQueue(name).obliterate({ force: true });
    }
    await queue.close();
    await registry.close();
  });

  it('close() lets a running job finish', async () => {
    holdForever = false;
    const w = worker('drain', { shutdownTimeout: '10s' });
    await w.start();
    const event = testEvent();
    const { jobId } = await queue.enqueue({
      event,
      observer: 'slow',
      actionIndex: 0,
      actionType: 'function',
      queue: 'drain',
    });
    await waitFor(() => started.some((entry) => entry.id === event.id), { message: 'job started' });
    await w.close();
    expect(finished).toContain(event.id);
    expect(await queue.bullQueue('drain').getJobState(jobId)).toBe('completed');
  });

  it('close() hands a job that outlives the shutdown timeout back to the queue, attempt unused', async () => {
    holdForever = true;
    const first = worker('handback', { shutdownTimeout: 100 });
    await first.start();
    const event = testEvent();
    const { jobId } = await queue.enqueue({
      event,
      observer: 'slow',
      actionIndex: 0,
      actionType: 'function',
      queue: 'handback',
    });
    await waitFor(() => started.some((entry) => entry.id === event.id), { message: 'job started' });
    await first.close();
    expect(finished).not.toContain(event.id);
    const job = await queue.bullQueue('handback').getJob(jobId);
    expect(await job?.getState()).toBe('waiting');
    expect(job?.data.attempts).toEqual([]);

    const second = worker('handback');
    await second.start();
    try {
      await waitFor(() => started.filter((entry) => entry.id === event.id).length === 2, {
        message: 'job started again',
      });
      release?.();
      await waitFor(
        async () => (await queue.bullQueue('handback').getJobState(jobId)) === 'completed',
        {
          message: 'job completed on the second worker',
        },
      );
      expect((await queue.bullQueue('handback').getJob(jobId))?.returnvalue).toMatchObject({
        attempt: 1,
      });
    } finally {
      await second.close();
    }
  });

  it('honours the rate limit of a queue', async () => {
    const w = worker('limited', { rateLimit: { max: 2, duration: '1s' }, concurrency: 10 });
    const events = [testEvent('a'), testEvent('b'), testEvent('c'), testEvent('d')];
    await queue.enqueueMany(
      events.map((event) => ({
        event,
        observer: 'quick',
        actionIndex: 0,
        actionType: 'function',
        queue: 'limited',
      })),
    );
    await w.start();
    try {
      const ids = new Set(events.map((event) => event.id));
      await waitFor(() => started.filter((entry) => ids.has(entry.id)).length === 4, {
        timeoutMs: 10_000,
        message: 'four jobs ran',
      });
      const times = started.filter((entry) => ids.has(entry.id)).map((entry) => entry.at);
      const [firstAt = 0] = times;
      // Two per second: the third job cannot start within the first window.
      expect((times[2] ?? 0) - firstAt).toBeGreaterThanOrEqual(900);
    } finally {
      await w.close();
    }
  });
});
