import { createRedisPrefix, freePort, requireService, type RedisPrefix } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DedupStore } from '../src/dedup/dedup-store.js';
import { createMemoryDedupStore } from '../src/dedup/memory-dedup-store.js';
import { createRedisDedupStore } from '../src/dedup/redis-dedup-store.js';
import { ObserverError } from '../src/errors.js';
import { createObserverExecutor } from '../src/execution/observer-executor.js';
import {
  capturingLogger,
  functionActions,
  makeEvent,
  matcherOf,
  recordingMetrics,
  registryOf,
  type TestObserver,
} from './execution-helpers.js';

const redis = await requireService('redis');

/** Counts runs per handler; `fail` makes a handler throw a permanent error while set. */
function handlers() {
  const runs: Record<string, number> = {};
  const failing = new Set<string>();
  let gate: Promise<void> | undefined;
  const make = (name: string) => async (): Promise<void> => {
    runs[name] = (runs[name] ?? 0) + 1;
    if (gate !== undefined) await gate;
    if (failing.has(name)) {
      throw new ObserverError('ACTION_FAILED', `${name} failed`, { retryable: false });
    }
  };
  return {
    runs,
    failing,
    hold(): () => void {
      let open: () => void = () => undefined;
      gate = new Promise((resolve) => (open = resolve));
      return () => {
        gate = undefined;
        open();
      };
    },
    actions: functionActions({ first: make('first'), second: make('second') }),
  };
}

const observer: TestObserver = {
  name: 'sync',
  actions: [
    { type: 'function', name: 'first' },
    { type: 'function', name: 'second' },
  ],
  onFailure: 'log',
};

function suite(name: string, makeStore: () => Promise<DedupStore>) {
  describe(`dedup claims with the ${name} store`, () => {
    function setup(store: DedupStore) {
      const metrics = recordingMetrics();
      const h = handlers();
      const execute = createObserverExecutor({
        matcher: matcherOf([observer]),
        registry: registryOf(h.actions),
        dedup: store,
        metrics,
      });
      return { metrics, h, execute };
    }

    it('runs the actions of an event delivered twice only once', async () => {
      await using store = await makeStore();
      const { metrics, h, execute } = setup(store);
      const event = makeEvent();
      await execute(event);
      await execute(event);
      expect(h.runs).toEqual({ first: 1, second: 1 });
      expect(metrics.counts).toMatchObject({
        dedupDetected: 1,
        dedupProcessingSkipped: 1,
        cacheHit: 2,
        cacheMiss: 2,
      });
      // Another event, or another observer of the same event, is not affected.
      await execute(makeEvent());
      expect(h.runs).toEqual({ first: 2, second: 2 });
    });

    it('sends a concurrent duplicate back while the first delivery runs', async () => {
      await using store = await makeStore();
      const { h, execute } = setup(store);
      const event = makeEvent();
      const open = h.hold();
      const first = execute(event);
      await waitUntil(() => h.runs.first === 1);
      await expect(execute(event)).rejects.toMatchObject({
        code: 'DUPLICATE_IN_PROGRESS',
        retryable: true,
      });
      open();
      await first;
      await execute(event); // the redelivery after the first finished is skipped
      expect(h.runs).toEqual({ first: 1, second: 1 });
    });

    it('releases the claim when an action fails so the redelivery runs it, resuming at the first unfinished action', async () => {
      await using store = await makeStore();
      const { metrics, h, execute } = setup(store);
      const event = makeEvent();
      h.failing.add('second');
      await execute(event); // first succeeds, second fails (onFailure: log)
      expect(h.runs).toEqual({ first: 1, second: 1 });
      expect(metrics.counts.actionFailed).toBe(1);
      h.failing.clear();
      await execute(event); // not blocked by a claim; first is not repeated
      expect(h.runs).toEqual({ first: 1, second: 2 });
      await execute(event);
      expect(h.runs).toEqual({ first: 1, second: 2 });
    });
  });
}

suite('memory', () => Promise.resolve(createMemoryDedupStore()));

describe.skipIf(redis === undefined)('Redis dedup store', () => {
  let prefix: RedisPrefix;
  beforeAll(async () => {
    prefix = await createRedisPrefix(redis);
  });
  afterAll(async () => {
    await prefix.close();
  });

  suite('Redis', () =>
    Promise.resolve(createRedisDedupStore({ url: prefix.url, prefix: `${prefix.prefix}dedup:` })),
  );

  it('shares claims between two executors (two instances)', async () => {
    await using storeA = createRedisDedupStore({
      url: prefix.url,
      prefix: `${prefix.prefix}shared:`,
    });
    await using storeB = createRedisDedupStore({
      url: prefix.url,
      prefix: `${prefix.prefix}shared:`,
    });
    const h = handlers();
    const make = (store: DedupStore) =>
      createObserverExecutor({
        matcher: matcherOf([observer]),
        registry: registryOf(h.actions),
        dedup: store,
      });
    const a = make(storeA);
    const b = make(storeB);
    const event = makeEvent();
    await a(event);
    await b(event);
    expect(h.runs).toEqual({ first: 1, second: 1 });
  });

  it('keeps processing when Redis is down, and counts it', async () => {
    const port = await freePort(); // nothing listens there
    await using store = createRedisDedupStore({
      url: `redis://127.0.0.1:${port}`,
      operationTimeoutMs: 300,
    });
    const metrics = recordingMetrics();
    const logger = capturingLogger();
    const h = handlers();
    const execute = createObserverExecutor({
      matcher: matcherOf([observer]),
      registry: registryOf(h.actions),
      dedup: store,
      metrics,
      logger,
    });
    const event = makeEvent();
    await execute(event);
    await execute(event); // no dedup: at-least-once, the actions run again
    expect(h.runs).toEqual({ first: 2, second: 2 });
    expect(metrics.counts.actionExecuted).toBe(4);
    expect(metrics.counts.cacheMiss).toBe(4);
    expect(metrics.counts.cacheHit).toBeUndefined();
    expect(execute.stats().dedupUnavailable).toBeGreaterThanOrEqual(2);
    const warnings = logger.lines.filter((l) => l.message.startsWith('dedup store unavailable'));
    expect(warnings).toHaveLength(1); // logged once per outage, not per event
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition did not hold within 5s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
