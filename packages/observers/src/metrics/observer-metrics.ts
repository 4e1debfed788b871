import type { ServiceHealth } from '@fraiseql/core';

/** State of a circuit breaker, as reported to metrics. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * The seam through which the observers runtime reports what it does. `@fraiseql/metrics`
 * implements it with Prometheus; the default {@link noopObserverMetrics} costs nothing.
 * Labels are low-cardinality: source kinds, action types, error types, endpoint hosts.
 */
export interface ObserverMetrics {
  /** A source handed out a batch of `size` events. */
  sourceBatch(source: string, size: number): void;
  /** Distance between the newest committed change and the newest handled one. */
  captureLag(source: string, lagSeconds: number, lagEvents: number): void;
  /** Events committed but not yet handled. */
  backlog(source: string, size: number): void;
  /** An event finished (all its matched actions succeeded, were skipped or dead-lettered). */
  eventProcessed(): void;
  /** An event failed. */
  eventFailed(errorType: string): void;
  /** A source could not turn a row or message into an event and moved it aside. */
  malformedEvent(source: string): void;
  /** An action ran to success. */
  actionExecuted(actionType: string, durationSeconds: number): void;
  /** An action attempt failed. */
  actionFailed(actionType: string, errorType: string, durationSeconds: number): void;
  /** An action attempt is being retried. */
  actionRetried(actionType: string): void;
  /** A redelivered (event, observer) was recognised by the dedup claim. */
  dedupDetected(): void;
  /** Processing was skipped because of a dedup claim. */
  dedupProcessingSkipped(): void;
  /**
   * A dedup store call failed (claim, extend, complete or release) and processing went on
   * without dedup. Optional: absent means no-op.
   */
  dedupUnavailable?(): void;
  cacheHit(): void;
  cacheMiss(): void;
  cacheEviction(): void;
  /** Current number of items in the dead-letter table. */
  dlqItems(count: number): void;
  /** A failed action was written to the dead-letter table. Optional: absent means no-op. */
  deadLettered?(actionType: string): void;
  /** `count` items left the dead-letter table (replayed successfully, or deleted). Optional. */
  deadLetterRemoved?(reason: 'retried' | 'removed', count: number): void;
  /**
   * Runs of `observer` waiting now on an open breaker or a retry backoff (0 when none). Optional:
   * absent means no-op.
   */
  observerWaiting?(observer: string, count: number): void;
  /** The invocation log wrote `count` attempts. Optional: absent means no-op. */
  invocationsWritten?(count: number): void;
  /**
   * The invocation log dropped `count` attempts: its buffer was full, or their batch could not
   * be written. Optional: absent means no-op.
   */
  invocationsDropped?(reason: 'buffer_full' | 'write_failed', count: number): void;
  /** Attempts waiting in the invocation log's buffer. Optional: absent means no-op. */
  invocationsBuffered?(count: number): void;
  /** A breaker changed state. `endpoint` is a host, never a full URL. */
  breakerState(endpoint: string, state: BreakerState): void;
  /**
   * The current state of one connection (database, NATS, SMTP, HTTP pool), reported at every
   * stats interval and on close. Optional: absent means no-op.
   */
  serviceState?(health: ServiceHealth): void;
  /** NATS consumer: messages pending on the server for this consumer. */
  natsPending(consumer: string, pending: number): void;
  /** NATS consumer: a message arrived with a delivery count above 1. */
  natsRedelivered(consumer: string): void;
}

const noop = (): void => undefined;

/** An {@link ObserverMetrics} that records nothing. */
export const noopObserverMetrics: ObserverMetrics = Object.freeze({
  sourceBatch: noop,
  captureLag: noop,
  backlog: noop,
  eventProcessed: noop,
  eventFailed: noop,
  malformedEvent: noop,
  actionExecuted: noop,
  actionFailed: noop,
  actionRetried: noop,
  dedupDetected: noop,
  dedupProcessingSkipped: noop,
  dedupUnavailable: noop,
  cacheHit: noop,
  cacheMiss: noop,
  cacheEviction: noop,
  dlqItems: noop,
  deadLettered: noop,
  deadLetterRemoved: noop,
  breakerState: noop,
  observerWaiting: noop,
  serviceState: noop,
  natsPending: noop,
  natsRedelivered: noop,
});
