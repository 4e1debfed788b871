import type { EntityEvent } from '../events/entity-event.js';

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
}

/**
 * A stream of committed events. Delivery is at-least-once: an event that was not settled `done`
 * is delivered again (after a restart, a lease expiry or a redelivery timeout).
 */
export interface EventSource {
  /** Short name for logs and metrics (`change-log`, `nats`, `memory`). */
  readonly kind: string;
  /**
   * Delivers events to `onDelivery` until `signal` aborts or `close()` is called. At most
   * `maxInFlight` deliveries are unsettled at once.
   */
  start(options: EventSourceStartOptions): Promise<void>;
  /** Stops fetching, waits for in-flight settlements, saves progress and releases resources. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options for {@link EventSource.start}. */
export interface EventSourceStartOptions {
  readonly onDelivery: (delivery: Delivery) => void | Promise<void>;
  readonly maxInFlight?: number;
  readonly signal?: AbortSignal;
}
