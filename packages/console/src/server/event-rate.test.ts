import { describe, expect, it, vi } from 'vitest';
import { sampleEventRate, type MetricsSource } from './event-rate.js';

describe('sampleEventRate', () => {
  it('samples the counter as a rate and the largest lag of the gauge', async () => {
    vi.useFakeTimers();
    try {
      let total = 0;
      let lags = [0.5, 2];
      const source: MetricsSource = {
        getSingleMetric: (name) => ({
          get: () =>
            Promise.resolve({
              values: name === 'events' ? [{ value: total }] : lags.map((value) => ({ value })),
            }),
        }),
      };
      const rate = sampleEventRate(source, 'events', 1000, 3, 'lag');
      await vi.advanceTimersByTimeAsync(0);
      total = 10;
      await vi.advanceTimersByTimeAsync(1000);
      lags = [4];
      total = 40;
      await vi.advanceTimersByTimeAsync(1000);
      expect(rate.samples().map((s) => [s.perSecond, s.lagSeconds])).toEqual([
        [10, 2],
        [30, 4],
      ]);
      rate.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
