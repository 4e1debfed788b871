import type { EntityEvent } from '@fraiseql/core';
import { silentLogger } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';
import type { ActionExecutor } from '../actions/action-executor.js';
import { createFunctionAction } from '../actions/function-action.js';
import { isObserverError, ObserverError } from '../errors.js';
import { noopObserverMetrics } from '../metrics/observer-metrics.js';
import { ActionRunner, type ActionScope } from './action-runner.js';
import { DeadlineQueue } from './deadline-queue.js';
import { SignalFanout } from './signal-fanout.js';

const event = {
  id: 'e-1',
  seq: 1n,
  eventType: 'INSERT',
  entityType: 'order',
  entityId: '1',
  data: {},
  timestamp: new Date(),
} as EntityEvent;

function runner(executor: ActionExecutor, overrides: { maxBreakerWaitMs?: number } = {}) {
  return new ActionRunner({
    registry: { get: (type) => (type === executor.type ? executor : undefined) },
    metrics: noopObserverMetrics,
    logger: silentLogger,
    concurrency: 2,
    defaultRetry: { maxAttempts: 3, initialDelay: 1, maxDelay: 2 },
    actionTimeoutMs: 1000,
    breaker: { minimumCalls: 2, failureRate: 0.5, coolDown: 60_000 },
    maxBreakerWaitMs: overrides.maxBreakerWaitMs ?? 60_000,
    heartbeatIntervalMs: 1000,
    random: () => 0.5,
    clock: { deadlines: new DeadlineQueue(), fanout: new SignalFanout() },
  });
}

function scope(wait?: ActionScope['wait']): ActionScope {
  const signal = new AbortController().signal;
  return {
    signal,
    waitSignal: () => signal,
    throwIfStopped: () => undefined,
    keepAlive: () => Promise.resolve(),
    wait,
  };
}

const observer = { name: 'a', actions: [{ type: 'probe' }] };
const action = { type: 'probe' };

describe('ActionRunner (run with retries and breakers)', () => {
  it('retries a retryable failure and returns the failed attempts with the success', async () => {
    let calls = 0;
    const run = runner({
      type: 'probe',
      execute: () => {
        calls += 1;
        if (calls < 3)
          throw new ObserverError('ACTION_FAILED', 'flaky', {
            retryable: true,
            errorType: 'handler',
          });
        return Promise.resolve({ summary: 'done' });
      },
    });
    const waits: string[] = [];
    const outcome = await run.run(
      observer,
      action,
      0,
      event,
      scope((cause) => {
        waits.push(cause.kind);
        return () => undefined;
      }),
    );
    expect(outcome.ok).toBe(true);
    expect(outcome.attempts.map((a) => a.attempt)).toEqual([1, 2]);
    expect(waits).toEqual(['retry', 'retry']);
    expect(run.load).toEqual({ running: 0, waiting: 0 });
  });

  it('gives up at once on a permanent failure, and after maxAttempts on a retryable one', async () => {
    const permanent = runner({
      type: 'probe',
      execute: () =>
        Promise.reject(
          new ObserverError('ACTION_FAILED', '404', { retryable: false, errorType: 'http_4xx' }),
        ),
    });
    const gaveUp = await permanent.run(observer, action, 0, event, scope());
    expect(gaveUp).toMatchObject({ ok: false, reason: 'permanent' });
    expect(gaveUp.attempts).toHaveLength(1);
    const flaky = runner({
      type: 'probe',
      execute: () => Promise.reject(new Error('reset')),
    });
    const exhausted = await flaky.run({ ...observer, name: 'b' }, action, 0, event, scope());
    expect(exhausted).toMatchObject({ ok: false, reason: 'max-attempts' });
    expect(exhausted.attempts).toHaveLength(3);
  });

  it('returns the outcome without a promise when a synchronous function handler succeeds, and retries one that throws', async () => {
    let throws = 1;
    const functions = createFunctionAction(() => () => {
      if (throws > 0) {
        throws -= 1;
        throw new Error('first call fails');
      }
      return 'ran';
    });
    const run = runner(functions);
    const fn = { type: 'function', name: 'f' };
    const fnObserver = { name: 'f', actions: [fn] };
    // The failing first attempt goes through the retry loop: a promise, one failed attempt.
    const retried = run.run(
      fnObserver,
      fn,
      0,
      event,
      scope(() => () => undefined),
    );
    expect(retried).toBeInstanceOf(Promise);
    const outcome = await retried;
    expect(outcome).toMatchObject({ ok: true, result: { summary: 'ran' } });
    expect(outcome.attempts.map((a) => a.error)).toEqual(['function "f" threw: first call fails']);
    // A success at the first attempt comes back as it is.
    const now = run.run(fnObserver, fn, 0, event, scope());
    expect(now).toEqual({ ok: true, result: { summary: 'ran' }, attempts: [] });
    expect(run.load).toEqual({ running: 0, waiting: 0 });
  });

  it('reports an action type nobody registered as a permanent failure', async () => {
    const outcome = await runner({
      type: 'other',
      execute: () => Promise.resolve({ summary: '' }),
    }).run(observer, action, 0, event, scope());
    expect(outcome.ok || outcome.error.code).toBe('ACTION_UNSUPPORTED');
  });

  it('throws the failure instead of waiting when the waiting room is full', async () => {
    const run = runner({ type: 'probe', execute: () => Promise.reject(new Error('reset')) });
    const thrown = await (async () =>
      run.run(
        observer,
        action,
        0,
        event,
        scope(() => undefined),
      ))().catch((error: unknown) => error);
    expect(isObserverError(thrown) && thrown.code).toBe('ACTION_FAILED');
  });

  it("hands the event back when the endpoint's breaker stays open beyond maxBreakerWait", async () => {
    const run = runner(
      {
        type: 'probe',
        endpoint: () => 'down.test',
        execute: () =>
          Promise.reject(
            new ObserverError('ACTION_FAILED', '503', { retryable: true, errorType: 'http_5xx' }),
          ),
      },
      { maxBreakerWaitMs: 10 },
    );
    // Two failures open the breaker (minimumCalls 2, failure rate 0.5); the next admission is refused.
    const thrown = await (async () =>
      run.run(
        observer,
        action,
        0,
        event,
        scope(() => () => undefined),
      ))().catch((error: unknown) => error);
    expect(isObserverError(thrown) && thrown.code === 'CIRCUIT_OPEN' && thrown.deferred).toBe(true);
    expect(run.breakerStates()).toEqual({ 'down.test': 'open' });
  });
});
