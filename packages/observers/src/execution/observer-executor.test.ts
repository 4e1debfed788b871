import { randomUUID } from 'node:crypto';
import type { EntityEvent } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';
import type { ActionExecutor } from '../actions/action-executor.js';
import { ObserverError } from '../errors.js';
import type { ExecutableObserver } from './executable-observer.js';
import { createMatcher } from '../matching/observer-matcher.js';
import { parseObserversConfig } from '../config/load-observers-config.js';
import {
  createObserverDefinitions,
  type ObserverDefinition,
} from '../matching/observer-definition.js';
import { noopObserverMetrics } from '../metrics/observer-metrics.js';
import { createObserverExecutor } from './observer-executor.js';

function definition(name: string, entity: string): ObserverDefinition {
  const config = parseObserversConfig(
    JSON.stringify({
      observers: {
        [name]: { entity, events: ['UPDATE'], actions: [{ type: 'function', name }] },
      },
    }),
    { format: 'json' },
  );
  const [only] = createObserverDefinitions(config);
  if (only === undefined) throw new Error('no observer parsed');
  return only;
}

async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition did not hold within 5s');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

let seq = 0n;
function event(entityId: string, entityType = 'order'): EntityEvent {
  seq += 1n;
  return {
    id: randomUUID(),
    seq,
    eventType: 'UPDATE',
    entityType,
    entityId,
    data: { n: Number(seq) },
    timestamp: new Date(),
  };
}

/** A function action that tracks how many run at once and yields for a random while. */
function trackingAction() {
  const state = { inFlight: 0, maxInFlight: 0, perObserverMax: {} as Record<string, number> };
  const perObserver: Record<string, number> = {};
  const order: Record<string, number[]> = {};
  const executor: ActionExecutor = {
    type: 'function',
    async execute(_config, context) {
      state.inFlight += 1;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      perObserver[context.observer] = (perObserver[context.observer] ?? 0) + 1;
      state.perObserverMax[context.observer] = Math.max(
        state.perObserverMax[context.observer] ?? 0,
        perObserver[context.observer] ?? 0,
      );
      const key = `${context.observer}/${context.event.entityId}`;
      (order[key] ??= []).push(Number(context.event.data.n));
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 4)));
      perObserver[context.observer] = (perObserver[context.observer] ?? 1) - 1;
      state.inFlight -= 1;
      return { summary: 'ok' };
    },
  };
  return { executor, state, order };
}

const lookup = (observers: ExecutableObserver[]) => ({ match: () => observers });
const registry = (executor: ActionExecutor) => ({
  get: (type: string) => (type === executor.type ? executor : undefined),
});

describe('createObserverExecutor: ordering and concurrency (function actions, no services)', () => {
  it('runs events of one entity in arrival order, one at a time, while entities interleave', async () => {
    const { executor, state, order } = trackingAction();
    const execute = createObserverExecutor({
      matcher: lookup([{ name: 'fifo', actions: [{ type: 'function' }], ordering: 'per-entity' }]),
      registry: registry(executor),
    });
    const arrivals: Record<string, number[]> = {};
    const runs: Promise<void>[] = [];
    for (let i = 0; i < 200; i += 1) {
      const e = event(String(Math.floor(Math.random() * 5)));
      (arrivals[`fifo/${e.entityId}`] ??= []).push(Number(e.data.n));
      runs.push(execute(e));
    }
    await Promise.all(runs);
    expect(order).toEqual(arrivals);
    // Different entities ran side by side, but never more than one per entity.
    expect(state.maxInFlight).toBeGreaterThan(1);
    expect(state.maxInFlight).toBeLessThanOrEqual(5);
  });

  it('lets events of one entity overlap without per-entity ordering', async () => {
    const { executor, state } = trackingAction();
    const execute = createObserverExecutor({
      matcher: lookup([{ name: 'free', actions: [{ type: 'function' }] }]),
      registry: registry(executor),
    });
    await Promise.all(Array.from({ length: 30 }, () => execute(event('same'))));
    expect(state.maxInFlight).toBeGreaterThan(1);
  });

  it('never runs more actions at once than the global limit', async () => {
    const { executor, state } = trackingAction();
    const execute = createObserverExecutor({
      matcher: lookup([
        { name: 'a', actions: [{ type: 'function' }, { type: 'function' }] },
        { name: 'b', actions: [{ type: 'function' }] },
      ]),
      registry: registry(executor),
      concurrency: 3,
    });
    await Promise.all(Array.from({ length: 60 }, (_, i) => execute(event(String(i)))));
    expect(state.maxInFlight).toBe(3);
    expect(execute.stats()).toMatchObject({
      runningActions: 0,
      waitingActions: 0,
      inFlightEvents: 0,
    });
  });

  it('never runs more actions of one observer at once than its own limit', async () => {
    const { executor, state } = trackingAction();
    const execute = createObserverExecutor({
      matcher: lookup([
        { name: 'narrow', actions: [{ type: 'function' }], concurrency: 2 },
        { name: 'wide', actions: [{ type: 'function' }] },
      ]),
      registry: registry(executor),
      concurrency: 20,
    });
    await Promise.all(Array.from({ length: 60 }, (_, i) => execute(event(String(i)))));
    expect(state.perObserverMax.narrow).toBe(2);
    expect(state.perObserverMax.wide).toBeGreaterThan(2);
  });

  it('does not hold a concurrency slot while waiting to retry', async () => {
    let failing = 0;
    let ran = 0;
    const executor: ActionExecutor = {
      type: 'function',
      execute(config) {
        if ((config as { name?: string }).name === 'flaky' && failing < 3) {
          failing += 1;
          return Promise.reject(new ObserverError('ACTION_FAILED', 'flaky', { retryable: true }));
        }
        ran += 1;
        return Promise.resolve({ summary: 'ok' });
      },
    };
    const flaky: ExecutableObserver = {
      name: 'flaky',
      actions: [{ type: 'function', name: 'flaky' } as { type: string }],
      retry: { strategy: 'fixed', initialDelay: 200, maxAttempts: 5 },
    };
    const quick: ExecutableObserver = { name: 'quick', actions: [{ type: 'function' }] };
    const execute = createObserverExecutor({
      matcher: { match: (e) => (e.entityId === 'x' ? [flaky] : [quick]) },
      registry: registry(executor),
      concurrency: 1,
      random: () => 0.999_999,
    });
    const slow = execute(event('x'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    // While the flaky event waits out its delay, the only slot serves other events.
    await execute(event('y'));
    expect(ran).toBe(1);
    expect(execute.stats()).toMatchObject({ runningActions: 0, inFlightEvents: 1 });
    await slow;
    expect(ran).toBe(2);
  });

  it('refuses events after close and hands waiting ones back', async () => {
    const executor: ActionExecutor = {
      type: 'function',
      execute: () =>
        Promise.reject(new ObserverError('ACTION_FAILED', 'down', { retryable: true })),
    };
    const execute = createObserverExecutor({
      matcher: lookup([
        {
          name: 'o',
          actions: [{ type: 'function' }],
          retry: { initialDelay: '1h', maxDelay: '1h' },
        },
      ]),
      registry: registry(executor),
      random: () => 0.5,
    });
    const waiting = execute(event('1'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await execute.close();
    await expect(waiting).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(execute(event('2'))).rejects.toMatchObject({ code: 'CLOSED', retryable: true });
  });
  it('counts every failed dedup store call in the metrics and goes on without dedup', async () => {
    let ran = 0;
    let outages = 0;
    const failing = (): Promise<never> => Promise.reject(new Error('connection refused'));
    const execute = createObserverExecutor({
      matcher: lookup([{ name: 'o', actions: [{ type: 'function' }] }]),
      registry: registry({
        type: 'function',
        execute: () => {
          ran += 1;
          return Promise.resolve({ summary: 'ok' });
        },
      }),
      dedup: {
        kind: 'broken',
        claim: failing,
        extend: failing,
        complete: failing,
        release: failing,
        close: () => Promise.resolve(),
        [Symbol.asyncDispose]: () => Promise.resolve(),
      },
      metrics: {
        ...noopObserverMetrics,
        dedupUnavailable: () => {
          outages += 1;
        },
      },
    });
    await execute(event('1'));
    await execute(event('2'));
    expect(ran).toBe(2);
    expect(outages).toBe(2);
    expect(execute.stats().dedupUnavailable).toBe(2);
  });

  it('holds a paused observer without an action slot, runs it on resume and drops it on disable', async () => {
    const matcher = createMatcher([
      definition('held', 'order'),
      definition('dropped', 'invoice'),
      definition('free', 'order'),
    ]);
    const ran: string[] = [];
    const execute = createObserverExecutor({
      matcher,
      concurrency: 1,
      registry: registry({
        type: 'function',
        execute: (_config, context) => {
          ran.push(`${context.observer}:${context.event.entityId}`);
          return Promise.resolve({ summary: 'ok' });
        },
      }),
    });
    matcher.pause('held');
    matcher.pause('dropped');
    const heldEvents = [execute(event('1')), execute(event('2'))];
    const droppedEvent = execute(event('3', 'invoice'));
    // The running observer of the same events still runs through the single slot.
    await waitUntil(() => ran.length === 2);
    expect(ran.sort()).toEqual(['free:1', 'free:2']);
    expect(execute.stats()).toMatchObject({ heldForPause: 3, runningActions: 0 });
    matcher.disable('dropped');
    await droppedEvent;
    matcher.resume('held');
    await Promise.all(heldEvents);
    expect(ran.sort()).toEqual(['free:1', 'free:2', 'held:1', 'held:2']);
  });

  it('hands a held event back as deferred after maxPauseWait', async () => {
    const matcher = createMatcher([definition('held', 'order')]);
    const execute = createObserverExecutor({
      matcher,
      maxPauseWait: '20ms',
      registry: registry({ type: 'function', execute: () => Promise.resolve({ summary: 'ok' }) }),
    });
    matcher.pause('held');
    await expect(execute(event('1'))).rejects.toMatchObject({
      code: 'OBSERVER_PAUSED',
      retryable: true,
      deferred: true,
      retryAfterMs: 20,
    });
    expect(execute.stats().heldForPause).toBe(0);
  });
});

describe('createObserverExecutor: a condition that fails on an event', () => {
  it("sends the event to that observer's failure policy and still runs every other observer", async () => {
    const ran: string[] = [];
    const executor: ActionExecutor = {
      type: 'function',
      execute(_config, context) {
        ran.push(context.observer);
        return Promise.resolve({ summary: 'ok' });
      },
    };
    const failing: ObserverDefinition = {
      ...definition('fragile', 'order'),
      onFailure: 'alert',
      compiledCondition: {
        source: 'data.x == 1',
        evaluate: () => {
          throw new RangeError('Maximum call stack size exceeded');
        },
        explain: () => ({ result: false, clauses: [] }),
      },
    };
    const matcher = createMatcher([failing, definition('plain', 'order'), definition('also', '*')]);
    const alerts: { observer: string; actionType: string; code: string; message: string }[] = [];
    const execute = createObserverExecutor({
      matcher,
      registry: registry(executor),
      onAlert: (alert) => {
        alerts.push({
          observer: alert.observer,
          actionType: alert.actionType,
          code: alert.error.code,
          message: alert.error.message,
        });
      },
    });
    const e = event('1');
    await execute(e);
    expect(ran.sort()).toEqual(['also', 'plain']);
    expect(alerts).toEqual([
      {
        observer: 'fragile',
        actionType: 'condition',
        code: 'CONDITION_EVAL',
        message: `observers.fragile.condition: evaluation failed on event ${e.id} (RangeError: Maximum call stack size exceeded)`,
      },
    ]);
    // The plain matcher API isolates the failure the same way.
    expect(matcher.match(e).map((o) => [o.name, o.matchError?.code])).toEqual([
      ['fragile', 'CONDITION_EVAL'],
      ['plain', undefined],
      ['also', undefined],
    ]);
  });
});
