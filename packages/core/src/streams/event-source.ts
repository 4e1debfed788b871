import type { EntityEvent } from '../events/entity-event.js';
import type { ServiceHealth } from '../health/service-health.js';

/** How a handler's outcome is reported back to the source that delivered the event. */
export type DeliveryOutcome =
  | { readonly status: 'done' }
  | { readonly status: 'retry'; readonly delayMs?: number; readonly error: unknown }
  | { readonly status: 'dead'; readonly error: unknown };

/** One event as a source hands it out, with the means to settle it. */
export interface Delivery {
  readonly event: EntityEvent;
  /** 1 on first delivery, higher on redelivery where the source knows. */
  readonly attempt: number;
  /** Tells the source the event is still being worked on (extends leases, NATS `working()`). */
  heartbeat(): Promise<void>;
  /** Settles the delivery. A source must not consider the event handled before this resolves. */
  settle(outcome: DeliveryOutcome): Promise<void>;
  /**
   * Says the consumer keeps this delivery unsettled but has stopped working on it for a while
   * (it waits on an open circuit breaker or a retry backoff): from now on it does not count
   * against `maxInFlight`, so the source hands out more, and the source still keeps it alive
   * until it is settled. Optional: a source without it counts the delivery until it settles.
   */
  detach?(): void;
}

/**
 * A stream of committed events. Delivery is at-least-once: an event that was not settled `done`
 * is delivered again (after a restart, a lease expiry or a redelivery timeout).
 */
export interface EventSource {
  /** Short name for logs and metrics (`change-log`, `nats`, `memory`). */
  readonly kind: string;
  /**
   * Starts delivering events to `onDelivery`; resolves once the source is running (rejects if
   * it cannot start). Delivery goes on in the background until `signal` aborts (the source stops
   * fetching but still accepts settlements) or `close()` is called. At most `maxInFlight`
   * deliveries are unsettled at once, not counting detached ones ({@link Delivery.detach}).
   */
  start(options: EventSourceStartOptions): Promise<void>;
  /**
   * Stops fetching, waits for settlements already requested, saves progress, hands deliveries
   * that were never settled back for redelivery and releases resources.
   */
  close(): Promise<void>;
  /** Events not yet handled and the age of the oldest, where the source can tell. */
  backlog?(options?: { readonly signal?: AbortSignal }): Promise<EventSourceBacklog>;
  /** The connections the source holds (its database, its NATS connection) and their state. */
  services?(): readonly ServiceHealth[];
  [Symbol.asyncDispose](): Promise<void>;
}

/** What {@link EventSource.backlog} reports. */
export interface EventSourceBacklog {
  /** Events committed but not yet settled `done` (or moved aside) by this consumer. */
  readonly events: number;
  /** Age in seconds of the oldest of them; 0 when there are none. */
  readonly oldestAgeSeconds: number;
}

/** Options for {@link EventSource.start}. */
export interface EventSourceStartOptions {
  readonly onDelivery: (delivery: Delivery) => void | Promise<void>;
  readonly maxInFlight?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}
