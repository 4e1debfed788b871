import { parseDuration, type DurationInput } from '@fraiseql/core';
import type { RetryStrategy } from '../config/retry-config.js';
import { ObserverError } from '../errors.js';

/** Retry settings as config accepts them (durations are milliseconds or text such as `"30s"`). */
export interface RetryPolicyConfig {
  /** @defaultValue `'exponential'` */
  readonly strategy?: RetryStrategy | undefined;
  /** Attempts in total, the first one included. @defaultValue `5` */
  readonly maxAttempts?: number | undefined;
  /** Base delay: the first delay cap and the step of `linear`. @defaultValue `'1s'` */
  readonly initialDelay?: DurationInput | undefined;
  /** Upper bound of one delay. @defaultValue `'5m'` */
  readonly maxDelay?: DurationInput | undefined;
  /** No attempt starts later than this after the first one. @defaultValue `'1h'` */
  readonly maxElapsed?: DurationInput | undefined;
}

/** The answer of {@link RetryPolicy.next}: wait `delayMs` and try again, or give up. */
export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly reason: 'permanent' | 'max-attempts' | 'max-elapsed' };

/** Retry defaults shared by every observer that does not set its own. */
export const DEFAULT_RETRY = Object.freeze({
  strategy: 'exponential',
  maxAttempts: 5,
  initialDelay: '1s',
  maxDelay: '5m',
  maxElapsed: '1h',
} as const satisfies RetryPolicyConfig);

/**
 * A parsed retry policy. Delays use "full jitter": the delay after attempt `n` is uniformly
 * random in `[0, cap(n)]` where `cap(n)` is `initialDelay * 2^(n-1)` (exponential),
 * `initialDelay * n` (linear) or `initialDelay` (fixed), never above `maxDelay`. A server's
 * `Retry-After` replaces the jittered delay (it may exceed `maxDelay`, never `maxElapsed`).
 */
export class RetryPolicy {
  readonly strategy: RetryStrategy;
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxElapsedMs: number;

  /**
   * @throws {ObserverError} `INVALID_ARGUMENT` when a value is out of range.
   */
  constructor(config: RetryPolicyConfig = {}, path = 'retry') {
    this.strategy = config.strategy ?? DEFAULT_RETRY.strategy;
    this.maxAttempts = config.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
    this.initialDelayMs = parseDuration(
      config.initialDelay ?? DEFAULT_RETRY.initialDelay,
      `${path}.initialDelay`,
    );
    this.maxDelayMs = parseDuration(config.maxDelay ?? DEFAULT_RETRY.maxDelay, `${path}.maxDelay`);
    this.maxElapsedMs = parseDuration(
      config.maxElapsed ?? DEFAULT_RETRY.maxElapsed,
      `${path}.maxElapsed`,
    );
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new ObserverError(
        'INVALID_ARGUMENT',
        `${path}.maxAttempts: expected an integer >= 1, got ${JSON.stringify(this.maxAttempts)}`,
      );
    }
    if (!['exponential', 'linear', 'fixed'].includes(this.strategy)) {
      throw new ObserverError(
        'INVALID_ARGUMENT',
        `${path}.strategy: expected exponential, linear or fixed, got ${JSON.stringify(this.strategy)}`,
      );
    }
  }

  /** The upper bound of the delay after failed attempt `attempt` (1-based), before jitter. */
  delayCap(attempt: number): number {
    const n = Math.max(1, attempt);
    let base: number;
    switch (this.strategy) {
      case 'exponential':
        // 2^(n-1) overflows to Infinity for large n, which the min() below absorbs.
        base = this.initialDelayMs * 2 ** (n - 1);
        break;
      case 'linear':
        base = this.initialDelayMs * n;
        break;
      case 'fixed':
        base = this.initialDelayMs;
        break;
    }
    return Math.min(this.maxDelayMs, base);
  }

  /**
   * Decides what follows failed attempt `attempt` that started `elapsedMs` after the first.
   * `error` supplies `retryable` and `retryAfterMs`; `random` returns a number in `[0, 1)`.
   */
  next(
    attempt: number,
    elapsedMs: number,
    error: { readonly retryable: boolean; readonly retryAfterMs?: number | undefined },
    random: () => number = Math.random,
  ): RetryDecision {
    if (!error.retryable) return { retry: false, reason: 'permanent' };
    if (attempt >= this.maxAttempts) return { retry: false, reason: 'max-attempts' };
    const delayMs =
      error.retryAfterMs !== undefined && error.retryAfterMs >= 0
        ? Math.ceil(error.retryAfterMs)
        : computeRetryDelay(this, attempt, random);
    if (elapsedMs + delayMs > this.maxElapsedMs) return { retry: false, reason: 'max-elapsed' };
    return { retry: true, delayMs };
  }
}

/**
 * The full-jitter delay after failed attempt `attempt` (1-based): uniform in
 * `[0, policy.delayCap(attempt)]`, rounded to whole milliseconds.
 *
 * @example computeRetryDelay(new RetryPolicy({ initialDelay: '1s' }), 3) // 0..4000
 */
export function computeRetryDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(r * policy.delayCap(attempt));
}
