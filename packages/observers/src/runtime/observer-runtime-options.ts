import type { EntityEvent, EventSource, Logger, ServiceHealthReporter } from '@fraiseql/core';
import { z } from 'zod';
import { durationSchema } from '../config/duration-schema.js';
import { retryConfigSchema } from '../config/retry-config.js';
import type { ObserverMetrics } from '../metrics/observer-metrics.js';

/** What a handler is given besides the event. */
export interface EventHandlerContext {
  /** 1 on the first delivery of this event to this consumer, higher on redelivery. */
  readonly attempt: number;
  /** Aborted when the runtime stops waiting for the handler (drain timeout on close). */
  readonly signal: AbortSignal;
  /** Tells the source the event is still being worked on (extends its lease). */
  heartbeat(): Promise<void>;
  /**
   * Says that part of the work failed for good without a throw (an action under `onFailure:
   * log` or `alert`): the event is settled done but counted as failed, with this error type.
   */
  reportFailure(errorType: string): void;
  /**
   * Gives up the handler's slot while it waits on something other than its own work (an open
   * circuit breaker, a retry backoff), so other events keep running: the delivery stays
   * unsettled (not acknowledged, not checkpointed) and is detached from the source's in-flight
   * count until the handler settles. Returns false, keeping the slot, when `maxDetached`
   * handlers are detached already. Calling it again is a no-op.
   */
  detach(): boolean;
}

/** How one observer is doing, as a handler such as the observer executor reports it. */
export interface ObserverHealth {
  readonly name: string;
  /** `degraded` while its events wait on an open breaker or its waiting room is full. */
  readonly state: 'ok' | 'degraded';
  /** Its (event, observer) runs waiting on a breaker or a retry backoff right now. */
  readonly waiting: number;
  /** Endpoints whose open breaker its events wait on. */
  readonly openEndpoints: readonly string[];
}

/** Anything that reports per-observer health (the observer executor does). */
export interface ObserverHealthReporter {
  observerHealth(): readonly ObserverHealth[];
}

/**
 * Handles one event. Resolving settles the event `done`; throwing settles it `retry` with
 * backoff until the retry policy gives up, then `dead` (the source moves it aside).
 */
export type EventHandler = (event: EntityEvent, context: EventHandlerContext) => Promise<void>;

/** The data options of {@link createObserverRuntime}, as one zod schema. */
export const observerRuntimeOptionsSchema = z.object({
  /**
   * Handlers running at once, across all sources.
   * @defaultValue 16
   */
  concurrency: z.number().int().min(1).max(10_000).default(16),
  /**
   * Deliveries a source may hand out beyond the running handlers, so the next batch is ready
   * when a slot frees up. They stay leased while they wait; after a crash they are part of the
   * window that is delivered again.
   * @defaultValue 256
   */
  prefetch: z.number().int().min(0).max(100_000).default(256),
  /**
   * Handlers that may give up their slot at once while they wait on an open breaker or a
   * retry backoff (see `detach()` in the handler context). Their deliveries stay unsettled and
   * do not count against `concurrency + prefetch`, so a failing endpoint cannot take the slots
   * of healthy observers. With NATS, keep `concurrency + prefetch + maxDetached` below the
   * consumer's `maxAckPending`.
   * @defaultValue 512
   */
  maxDetached: z.number().int().min(0).max(100_000).default(512),
  /**
   * How long `close()` waits for running handlers before aborting their signals.
   * @defaultValue `'30s'`
   */
  drainTimeout: durationSchema.default(30_000),
  /**
   * After aborting handlers on close, how long to wait for them to settle before closing the
   * sources anyway (their events are then redelivered).
   * @defaultValue `'2s'`
   */
  abortGrace: durationSchema.default(2_000),
  /**
   * Backoff and attempts for failed handlers (`maxAttempts` counts every delivery, redeliveries
   * after a crash included, but not hand-backs: throws with `deferred: true`).
   * @defaultValue exponential, 5 attempts, 1s initial delay, 5m max delay
   */
  /**
   * How often the state of every service (see `services`) is reported to metrics.
   * @defaultValue `'5s'`
   */
  statsInterval: durationSchema.default(5_000),
  retry: retryConfigSchema.default({
    strategy: 'exponential',
    maxAttempts: 5,
    initialDelay: 1_000,
    maxDelay: 300_000,
    maxElapsed: 3_600_000,
  }),
});

/** Data options of {@link createObserverRuntime} as callers write them. */
export type ObserverRuntimeConfig = z.input<typeof observerRuntimeOptionsSchema>;

/** Options of {@link createObserverRuntime}. */
export type ObserverRuntimeOptions = ObserverRuntimeConfig & {
  /** Where events come from; each is started, drained and closed by the runtime. */
  readonly sources: EventSource | readonly EventSource[];
  readonly handler: EventHandler;
  /** Aborting it closes the runtime (draining as `close()` does). */
  readonly signal?: AbortSignal | undefined;
  /** @defaultValue silence */
  readonly logger?: Logger | undefined;
  /** @defaultValue {@link noopObserverMetrics} */
  readonly metrics?: ObserverMetrics | undefined;
  /**
   * More connections to report in `health().services` and metrics, besides the sources' own:
   * the action registry (HTTP, SMTP), a dedup store, a job queue, a database client.
   */
  readonly services?: readonly ServiceHealthReporter[] | undefined;
  /** Per-observer health for `health().observers` (pass the observer executor). */
  readonly observers?: ObserverHealthReporter | undefined;
};
