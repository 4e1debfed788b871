import type { EntityEvent, LogFields } from '@fraiseql/core';
import { silentLogger } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';
import type { DedupStore } from '../dedup/dedup-store.js';
import { createMemoryDedupStore } from '../dedup/memory-dedup-store.js';
import { isObserverError } from '../errors.js';
import { noopObserverMetrics, type ObserverMetrics } from '../metrics/observer-metrics.js';
import { ClaimStage, NO_CLAIM } from './claim-stage.js';

const event = {
  id: 'e-1',
  seq: 1n,
  eventType: 'INSERT',
  entityType: 'order',
  entityId: '1',
  data: {},
  timestamp: new Date(),
} as EntityEvent;

function stage(
  dedup: DedupStore | undefined,
  counts: Record<string, number> = {},
  warnings: LogFields[] = [],
) {
  const bump = (name: string) => () => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  const metrics: ObserverMetrics = {
    ...noopObserverMetrics,
    dedupDetected: bump('detected'),
    dedupUnavailable: bump('unavailable'),
  };
  const logger = { ...silentLogger, warn: (fields: LogFields) => warnings.push(fields) };
  return new ClaimStage({ dedup, metrics, logger, claimTtlMs: 60_000, resultTtlMs: 60_000 });
}

describe('ClaimStage (claim and dedup)', () => {
  it('costs nothing without a store: every run gets the empty claim', async () => {
    const claims = stage(undefined);
    expect(claims.enabled).toBe(false);
    expect(await claims.claim(event, 'a', 2)).toBe(NO_CLAIM);
    expect(NO_CLAIM.isDone(0)).toBe(false);
  });

  it('holds the claim, records finished actions, and a redelivery skips them', async () => {
    const dedup = createMemoryDedupStore();
    const counts: Record<string, number> = {};
    const claims = stage(dedup, counts);
    const first = await claims.claim(event, 'a', 2);
    expect(first.held).toBe(true);
    expect(first.isDone(0)).toBe(false);
    await first.complete(0, 'sent');
    // A second delivery while the first still holds the claim is handed back.
    const busy = await claims.claim(event, 'a', 2).catch((error: unknown) => error);
    expect(isObserverError(busy) && busy.code === 'DUPLICATE_IN_PROGRESS' && busy.deferred).toBe(
      true,
    );
    await first.release();
    const again = await claims.claim(event, 'a', 2);
    expect(again.held).toBe(true);
    expect([again.isDone(0), again.isDone(1)]).toEqual([true, false]);
    expect(counts.detected).toBe(2);
    // Another observer of the same event has its own claim.
    expect((await claims.claim(event, 'b', 1)).isDone(0)).toBe(false);
    await dedup.close();
  });

  it('lets a redelivery through when every action is done, even while the claim is held', async () => {
    const dedup = createMemoryDedupStore();
    const claims = stage(dedup);
    const first = await claims.claim(event, 'a', 1);
    await first.complete(0, 'sent');
    const second = await claims.claim(event, 'a', 1);
    expect(second.held).toBe(false);
    expect(second.isDone(0)).toBe(true);
    await dedup.close();
  });

  it('goes on without dedup when the store fails, counting every failure and warning once', async () => {
    const broken: DedupStore = {
      kind: 'broken',
      claim: () => Promise.reject(new Error('down')),
      extend: () => Promise.reject(new Error('down')),
      complete: () => Promise.reject(new Error('down')),
      release: () => Promise.reject(new Error('down')),
      close: () => Promise.resolve(),
      [Symbol.asyncDispose]: () => Promise.resolve(),
    };
    const counts: Record<string, number> = {};
    const warnings: LogFields[] = [];
    const claims = stage(broken, counts, warnings);
    expect(await claims.claim(event, 'a', 1)).toBe(NO_CLAIM);
    expect(await claims.claim(event, 'b', 1)).toBe(NO_CLAIM);
    await claims.recordDone(event.id, 'a', 0, 'replayed');
    expect(claims.failures).toBe(3);
    expect(counts.unavailable).toBe(3);
    expect(warnings).toHaveLength(1);
  });
});
