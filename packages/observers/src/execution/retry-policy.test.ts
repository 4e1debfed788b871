import { describe, expect, it } from 'vitest';
import { computeRetryDelay, RetryPolicy } from './retry-policy.js';

const retryable = { retryable: true };

describe('RetryPolicy', () => {
  it('caps exponential delays at initialDelay * 2^(n-1), then at maxDelay', () => {
    const policy = new RetryPolicy({ initialDelay: '100ms', maxDelay: '1s' });
    expect([1, 2, 3, 4, 5, 6].map((n) => policy.delayCap(n))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(policy.delayCap(5000)).toBe(1000);
  });

  it('grows linear delays by initialDelay and keeps fixed ones flat', () => {
    const linear = new RetryPolicy({ strategy: 'linear', initialDelay: 50, maxDelay: 120 });
    expect([1, 2, 3].map((n) => linear.delayCap(n))).toEqual([50, 100, 120]);
    const fixed = new RetryPolicy({ strategy: 'fixed', initialDelay: '2s' });
    expect([1, 7].map((n) => fixed.delayCap(n))).toEqual([2000, 2000]);
  });

  it('spreads delays with full jitter over [0, cap]', () => {
    const policy = new RetryPolicy({ initialDelay: 1000 });
    expect(computeRetryDelay(policy, 3, () => 0)).toBe(0);
    expect(computeRetryDelay(policy, 3, () => 0.5)).toBe(2000);
    expect(computeRetryDelay(policy, 3, () => 0.999999)).toBe(4000);
    const seen = Array.from({ length: 2000 }, () => computeRetryDelay(policy, 2));
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...seen)).toBeLessThanOrEqual(2000);
    // Full jitter, not "equal" jitter: a good share of delays falls below half the cap.
    expect(seen.filter((d) => d < 1000).length).toBeGreaterThan(600);
  });

  it('stops on permanent errors, after maxAttempts and before maxElapsed', () => {
    const policy = new RetryPolicy({ maxAttempts: 3, initialDelay: 100, maxElapsed: 1000 });
    expect(policy.next(1, 0, { retryable: false })).toEqual({ retry: false, reason: 'permanent' });
    expect(policy.next(3, 0, retryable)).toEqual({ retry: false, reason: 'max-attempts' });
    expect(policy.next(2, 0, retryable, () => 0.5)).toEqual({ retry: true, delayMs: 100 });
    expect(policy.next(2, 950, retryable, () => 0.5)).toEqual({
      retry: false,
      reason: 'max-elapsed',
    });
  });

  it('honours Retry-After above maxDelay but not beyond maxElapsed', () => {
    const policy = new RetryPolicy({ initialDelay: 10, maxDelay: 100, maxElapsed: 10_000 });
    expect(policy.next(1, 0, { retryable: true, retryAfterMs: 3000 })).toEqual({
      retry: true,
      delayMs: 3000,
    });
    expect(policy.next(1, 8000, { retryable: true, retryAfterMs: 3000 })).toEqual({
      retry: false,
      reason: 'max-elapsed',
    });
  });

  it('rejects out-of-range settings with the path', () => {
    expect(() => new RetryPolicy({ maxAttempts: 0 }, 'observers.a.retry')).toThrow(
      /observers\.a\.retry\.maxAttempts/,
    );
    expect(() => new RetryPolicy({ initialDelay: 'soon' })).toThrow(/retry\.initialDelay/);
  });
});
