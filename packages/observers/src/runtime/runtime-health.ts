import type { ServiceHealth } from '@fraiseql/core';
import type { ObserverHealth } from './observer-runtime-options.js';

/** Lifecycle of an {@link ObserverRuntime}. */
export type RuntimeState = 'idle' | 'starting' | 'running' | 'draining' | 'closed' | 'failed';

/** Backlog of one source in a {@link RuntimeHealth} report. */
export interface SourceHealth {
  readonly kind: string;
  /** Events not yet handled; undefined when the source cannot tell or could not be asked. */
  readonly lagEvents: number | undefined;
  /** Age in seconds of the oldest of them. */
  readonly lagSeconds: number | undefined;
}

/** What {@link ObserverRuntime.health} reports. */
export interface RuntimeHealth {
  readonly state: RuntimeState;
  /**
   * True while running, every source answered its backlog query, every service is `up` and no
   * observer is `degraded`.
   */
  readonly healthy: boolean;
  /** Handlers running now. */
  readonly inFlight: number;
  /** Deliveries waiting for a free handler slot. */
  readonly queued: number;
  /** Handlers that gave up their slot to wait on a breaker or a retry backoff. */
  readonly detached: number;
  /** Events not yet handled, summed over sources that can tell. */
  readonly lagEvents: number;
  /** Age in seconds of the oldest unhandled event over all sources. */
  readonly lagSeconds: number;
  readonly sources: readonly SourceHealth[];
  /**
   * Every connection the sources and the reporters given as `services` hold (databases, NATS,
   * SMTP, HTTP pools), one entry per name.
   */
  readonly services: readonly ServiceHealth[];
  /** Per-observer health from the `observers` reporter; empty without one. */
  readonly observers: readonly ObserverHealth[];
  /** The most recent failure (handler, settlement or source), if any. */
  readonly lastError: { readonly message: string; readonly at: Date } | undefined;
}
