import { parseDuration, type DurationInput } from '@fraiseql/core';
import type { BreakerState } from '../metrics/observer-metrics.js';

/** Tuning of a {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Failure share (0..1] of the calls in the window that opens the breaker. @defaultValue `0.5` */
  readonly failureRate?: number | undefined;
  /** Calls the window must hold before the rate counts. @defaultValue `5` */
  readonly minimumCalls?: number | undefined;
  /** Most recent calls kept in the window. @defaultValue `20` */
  readonly windowSize?: number | undefined;
  /** Calls older than this leave the window. @defaultValue `'60s'` */
  readonly windowTime?: DurationInput | undefined;
  /** Time an open breaker waits before letting probes through. @defaultValue `'30s'` */
  readonly coolDown?: DurationInput | undefined;
  /** Probes allowed at once while half-open. @defaultValue `1` */
  readonly halfOpenProbes?: number | undefined;
}

/** Admission for one call: report how it went exactly once. */
export interface BreakerPermit {
  /** The endpoint answered properly. */
  success(): void;
  /** The endpoint failed (network error, timeout, 5xx, 429). */
  failure(): void;
  /** The call says nothing about the endpoint (a template error, a 4xx). */
  release(): void;
}

/** The result of {@link CircuitBreaker.tryAcquire}. */
export type BreakerAdmission =
  | { readonly admitted: true; readonly permit: BreakerPermit }
  | { readonly admitted: false; readonly retryInMs: number };

interface Outcome {
  readonly at: number;
  readonly failed: boolean;
}

/**
 * A circuit breaker for one endpoint. Closed, it records outcomes in a sliding window (the last
 * `windowSize` calls no older than `windowTime`) and opens when at least `minimumCalls` are in
 * the window and the failure share reaches `failureRate`. Open, it admits nothing until
 * `coolDown` has passed; then it is half-open and admits up to `halfOpenProbes` calls at once:
 * a probe's success closes it, a probe's failure opens it again.
 */
export class CircuitBreaker {
  readonly endpoint: string;
  readonly #failureRate: number;
  readonly #minimumCalls: number;
  readonly #windowSize: number;
  readonly #windowMs: number;
  readonly #coolDownMs: number;
  readonly #halfOpenProbes: number;
  readonly #now: () => number;
  readonly #onStateChange: (state: BreakerState) => void;
  #state: BreakerState = 'closed';
  #openedAt = 0;
  #probes = 0;
  /** Bumped on every state change, so late permits know their period is over. */
  #generation = 0;
  #window: Outcome[] = [];

  constructor(
    endpoint: string,
    options: CircuitBreakerOptions = {},
    hooks: { now?: () => number; onStateChange?: (state: BreakerState) => void } = {},
  ) {
    this.endpoint = endpoint;
    this.#failureRate = options.failureRate ?? 0.5;
    this.#minimumCalls = Math.max(1, options.minimumCalls ?? 5);
    this.#windowSize = Math.max(this.#minimumCalls, options.windowSize ?? 20);
    this.#windowMs = parseDuration(options.windowTime ?? '60s', 'breaker.windowTime');
    this.#coolDownMs = parseDuration(options.coolDown ?? '30s', 'breaker.coolDown');
    this.#halfOpenProbes = Math.max(1, options.halfOpenProbes ?? 1);
    this.#now = hooks.now ?? Date.now;
    this.#onStateChange = hooks.onStateChange ?? (() => undefined);
  }

  /** The current state; an open breaker whose cool-down has passed reports `half-open`. */
  get state(): BreakerState {
    this.#advance();
    return this.#state;
  }

  /** Admits a call, or says how long until the breaker may admit one. */
  tryAcquire(): BreakerAdmission {
    this.#advance();
    if (this.#state === 'open') {
      return {
        admitted: false,
        retryInMs: Math.max(1, this.#openedAt + this.#coolDownMs - this.#now()),
      };
    }
    if (this.#state === 'half-open') {
      // Probes are short; a blocked caller re-checks after a fraction of the cool-down.
      if (this.#probes >= this.#halfOpenProbes) {
        return { admitted: false, retryInMs: Math.max(10, Math.min(1000, this.#coolDownMs / 10)) };
      }
      this.#probes += 1;
      return { admitted: true, permit: this.#permit(true) };
    }
    return { admitted: true, permit: this.#permit(false) };
  }

  #permit(probe: boolean): BreakerPermit {
    let settled = false;
    const generation = this.#generation;
    const settle = (failed: boolean | undefined): void => {
      if (settled) return;
      settled = true;
      const current = generation === this.#generation;
      if (probe && current) this.#probes = Math.max(0, this.#probes - 1);
      if (failed !== undefined) this.#record(failed, probe && current);
    };
    return {
      success: () => {
        settle(false);
      },
      failure: () => {
        settle(true);
      },
      release: () => {
        settle(undefined);
      },
    };
  }

  #record(failed: boolean, probe: boolean): void {
    const now = this.#now();
    if (probe) {
      // A probe from an earlier half-open period has no say any more.
      if (this.#state !== 'half-open') return;
      if (failed) this.#open(now);
      else this.#close();
      return;
    }
    // Calls admitted while closed may finish after the breaker opened: they are ignored.
    if (this.#state !== 'closed') return;
    this.#window.push({ at: now, failed });
    this.#trim(now);
    if (this.#window.length < this.#minimumCalls) return;
    const failures = this.#window.filter((outcome) => outcome.failed).length;
    if (failures / this.#window.length >= this.#failureRate) this.#open(now);
  }

  #trim(now: number): void {
    const oldest = now - this.#windowMs;
    let drop = Math.max(0, this.#window.length - this.#windowSize);
    while (drop < this.#window.length && (this.#window[drop]?.at ?? now) < oldest) drop += 1;
    if (drop > 0) this.#window = this.#window.slice(drop);
  }

  #advance(): void {
    if (this.#state === 'open' && this.#now() >= this.#openedAt + this.#coolDownMs) {
      this.#probes = 0;
      this.#setState('half-open');
    }
  }

  #open(now: number): void {
    this.#openedAt = now;
    this.#window = [];
    this.#setState('open');
  }

  #close(): void {
    this.#window = [];
    this.#setState('closed');
  }

  #setState(state: BreakerState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#generation += 1;
    this.#onStateChange(state);
  }
}
