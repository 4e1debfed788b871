import { describe, expect, it } from 'vitest';
import { suggestRefreshStrategy } from './suggest-refresh-strategy.js';

describe('suggestRefreshStrategy', () => {
  it('manual when nothing is written', () => {
    expect(
      suggestRefreshStrategy({ writesPerMinute: 0, readsPerSecond: 100, maxStalenessMs: 0 })
        .strategy,
    ).toBe('manual');
  });

  it('view when writes outnumber reads', () => {
    expect(
      suggestRefreshStrategy({ writesPerMinute: 600, readsPerSecond: 1, maxStalenessMs: 0 })
        .strategy,
    ).toBe('view');
  });

  it('trigger when reads dominate and must be fresh, even with heavy writes', () => {
    expect(
      suggestRefreshStrategy({ writesPerMinute: 100, readsPerSecond: 50, maxStalenessMs: 0 })
        .strategy,
    ).toBe('trigger');
    expect(
      suggestRefreshStrategy({ writesPerMinute: 10_000, readsPerSecond: 500, maxStalenessMs: 500 })
        .strategy,
    ).toBe('trigger');
  });

  it('trigger when writes are light, whatever the staleness budget', () => {
    expect(
      suggestRefreshStrategy({ writesPerMinute: 60, readsPerSecond: 10, maxStalenessMs: 600_000 })
        .strategy,
    ).toBe('trigger');
  });

  it('scheduled at half the staleness budget when writes are heavy', () => {
    expect(
      suggestRefreshStrategy({
        writesPerMinute: 10_000,
        readsPerSecond: 500,
        maxStalenessMs: 600_000,
      }),
    ).toMatchObject({
      strategy: 'scheduled',
      intervalMs: 300_000,
      schedule: '*/5 * * * *',
    });
    expect(
      suggestRefreshStrategy({
        writesPerMinute: 10_000,
        readsPerSecond: 500,
        maxStalenessMs: 20_000,
      }),
    ).toMatchObject({
      strategy: 'scheduled',
      intervalMs: 10_000,
      schedule: '10 seconds',
    });
  });

  it('rejects negative or non-finite inputs', () => {
    expect(() =>
      suggestRefreshStrategy({ writesPerMinute: -1, readsPerSecond: 1, maxStalenessMs: 0 }),
    ).toThrow(/writesPerMinute/);
    expect(() =>
      suggestRefreshStrategy({ writesPerMinute: 1, readsPerSecond: Number.NaN, maxStalenessMs: 0 }),
    ).toThrow(/readsPerSecond/);
  });
});
