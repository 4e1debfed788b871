import {
  createActionRegistry,
  createObserverExecutor,
  type ActionRegistry,
  type AnyActionConfig,
  type ExecutableObserver,
  type ObserverAlert,
  ObserverError,
} from '@fraiseql/observers';
import { silentLogger } from '@fraiseql/core';
import { freePort, requireService, uniqueName, waitFor } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAsyncActionLookup,
  createEnqueueAction,
  createJobQueue,
  createJobWorker,
  enqueueActionSchema,
  jobIdOf,
  type JobQueue,
  type JobWorker,
} from '../src/index.js';
import { observerSet, testEvent } from './fixture.js';

const redis = await requireService('redis');

describe.skipIf(redis === undefined)('async actions from the observer executor', () => {
  const prefix = uniqueName('jqa');
  const ran: { eventId: string; attempt: number; where: string }[] = [];
  let registry: ActionRegistry;
  let queue: JobQueue;
  let worker: JobWorker;
  const asyncAction: AnyActionConfig = { type: 'function', name: 'record', async: true };
  const inlineAction: AnyActionConfig = { type: 'function', name: 'record' };
  const wrapped: AnyActionConfig = { type: 'enqueue', queue: 'named', action: inlineAction };
  const observers = observerSet({
    mixed: { actions: [inlineAction, asyncAction] },
    whole: { actions: [inlineAction], async: true },
    explicit: { actions: [wrapped] },
  });
  let where = 'inline';

  beforeAll(() => {
    registry = createActionRegistry();
    registry.registerFunction('record', (event, context) => {
      ran.push({ eventId: event.id, attempt: context.attempt, where });
    });
    queue = createJobQueue({ redisUrl: redis?.url ?? '', prefix });
    registry.register(createEnqueueAction({ queue, registry }), enqueueActionSchema);
    worker = createJobWorker({
      redisUrl: redis?.url ?? '',
      prefix,
      registry,
      observers,
      metricsInterval: false,
    });
  });

  afterAll(async () => {
    await worker.close();
    await queue.bullQueue('default').obliterate({ force: true });
    await queue.bullQueue('named').obliterate({ force: true });
    await queue.close();
    await registry.close();
  });

  it('runs async actions on a worker with the same executors, inline ones inline', async () => {
    const lookup = createAsyncActionLookup({ registry, queue, observers });
    const executable = (name: string): ExecutableObserver => {
      const observer = observers.get(name);
      if (observer === undefined) throw new Error(name);
      return { ...observer, retry: { maxAttempts: 1 }, onFailure: 'log' };
    };
    const executor = createObserverExecutor({
      matcher: { match: () => ['mixed', 'whole', 'explicit'].map(executable) },
      registry: lookup,
    });
    const event = testEvent();
    await executor(event);
    // Only the inline action of `mixed` ran in the executor; three jobs wait for a worker.
    expect(ran).toEqual([{ eventId: event.id, attempt: 1, where: 'inline' }]);
    const waiting = await queue.bullQueue('default').getJobs(['waiting']);
    expect(waiting.map((job) => job.id).sort()).toEqual(
      [jobIdOf(event.id, 'mixed', 1), jobIdOf(event.id, 'whole', 0)].sort(),
    );
    const named = await queue.bullQueue('named').getJobs(['waiting']);
    expect(named.map((job) => job.id)).toEqual([jobIdOf(event.id, 'explicit', 0)]);

    where = 'worker';
    await worker.start();
    const named2 = createJobWorker({
      redisUrl: redis?.url ?? '',
      prefix,
      queue: 'named',
      registry,
      observers,
      metricsInterval: false,
    });
    await named2.start();
    try {
      await waitFor(() => ran.filter((entry) => entry.where === 'worker').length === 3, {
        timeoutMs: 10_000,
        message: 'three actions run on workers',
      });
    } finally {
      await named2.close();
    }
    await executor.close();
  });

  it('enqueues the actions of an async observer while their endpoint breaker is open, as for async actions', async () => {
    // One endpoint, always failing: the inline observer opens its breaker for an hour.
    const probeRegistry = createActionRegistry();
    probeRegistry.register({
      type: 'probe',
      endpoint: () => 'probe.example:443',
      execute: () =>
        Promise.reject(
          new ObserverError('ACTION_FAILED', '503', { retryable: true, errorType: 'http_5xx' }),
        ),
    });
    const probe = { type: 'probe' } as unknown as AnyActionConfig;
    const probeObservers = observerSet({
      inline: { actions: [probe] },
      whole: { actions: [probe], async: true },
      each: { actions: [{ ...probe, async: true }] },
    });
    const executable = (name: string): ExecutableObserver => {
      const observer = probeObservers.get(name);
      if (observer === undefined) throw new Error(name);
      return { ...observer, retry: { maxAttempts: 1 }, onFailure: 'log' };
    };
    // A queue of its own, with no worker: the jobs stay waiting.
    const probeQueue = createJobQueue({ redisUrl: redis?.url ?? '', prefix: uniqueName('jqb') });
    let observersOfEvent = ['inline'];
    const executor = createObserverExecutor({
      matcher: { match: () => observersOfEvent.map(executable) },
      registry: createAsyncActionLookup({
        registry: probeRegistry,
        queue: probeQueue,
        observers: probeObservers,
      }),
      breaker: { minimumCalls: 1, coolDown: '1h' },
    });
    try {
      await executor(testEvent());
      expect(Object.values(executor.stats().breakers)).toEqual(['open']);
      observersOfEvent = ['whole', 'each'];
      const event = testEvent();
      await executor(event); // on an open breaker this would throw CIRCUIT_OPEN
      const waiting = await probeQueue.bullQueue('default').getJobs(['waiting']);
      expect(waiting.map((job) => job.id).sort()).toEqual(
        [jobIdOf(event.id, 'whole', 0), jobIdOf(event.id, 'each', 0)].sort(),
      );
    } finally {
      await executor.close();
      await probeQueue.bullQueue('default').obliterate({ force: true });
      await probeQueue.close();
      await probeRegistry.close();
    }
  });

  it('applies the unavailable policy when Redis cannot take the job: dead letter with the reason, or inline', async () => {
    const port = await freePort();
    const down = createJobQueue({
      redisUrl: `redis://127.0.0.1:${String(port)}`,
      prefix,
      enqueueTimeout: 500,
    });
    try {
      const alerts: ObserverAlert[] = [];
      const executor = createObserverExecutor({
        matcher: {
          match: () => [
            {
              name: 'mixed',
              actions: [asyncAction],
              retry: { maxAttempts: 1 },
              onFailure: 'alert',
            },
          ],
        },
        registry: createAsyncActionLookup({ registry, queue: down, observers }),
        onAlert: (alert) => {
          alerts.push(alert);
        },
      });
      const event = testEvent();
      await executor(event);
      expect(alerts).toHaveLength(1);
      const [alert] = alerts;
      expect(alert?.error).toMatchObject({
        code: 'TRANSPORT_UNAVAILABLE',
        errorType: 'queue_unavailable',
      });
      expect(ran.some((entry) => entry.eventId === event.id)).toBe(false);
      await executor.close();

      const inline = createAsyncActionLookup({
        registry,
        queue: down,
        observers,
        onUnavailable: 'inline',
      });
      const other = testEvent();
      where = 'fallback';
      const result = await inline.get('function')?.execute(asyncAction, {
        event: other,
        observer: 'mixed',
        actionIndex: 1,
        attempt: 1,
        signal: new AbortController().signal,
        logger: silentLogger,
      });
      expect(result?.summary).toBe('function record done');
      expect(ran).toContainEqual({ eventId: other.id, attempt: 1, where: 'fallback' });
    } finally {
      await down.close();
    }
  });
});
