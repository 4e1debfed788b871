import type { Delivery, DeliveryOutcome, EntityEvent } from '@fraiseql/core';
import type { NatsMsgLike } from './nats-client.js';

/** What settling a NATS delivery does; supplied by the source that received the message. */
export type NatsSettler = (msg: NatsMsgLike, outcome: DeliveryOutcome) => Promise<void>;

/**
 * One JetStream message handed to a handler. `heartbeat()` sends `working()` progress, so a
 * long handler keeps the message; `settle()` acks, naks with a delay, or dead-letters it.
 * Only the first settlement counts: later calls resolve with it and change nothing.
 */
export class NatsDelivery implements Delivery {
  readonly event: EntityEvent;
  readonly attempt: number;
  readonly #msg: NatsMsgLike;
  readonly #settler: NatsSettler;
  #settlement: Promise<void> | undefined;

  constructor(msg: NatsMsgLike, event: EntityEvent, settler: NatsSettler) {
    this.#msg = msg;
    this.event = event;
    this.attempt = msg.info.deliveryCount;
    this.#settler = settler;
  }

  /** Whether `settle()` has been called. */
  get settled(): boolean {
    return this.#settlement !== undefined;
  }

  /** Resets the server's ack timer for this message (JetStream `working()`). */
  heartbeat(): Promise<void> {
    if (this.#settlement === undefined) this.#msg.working();
    return Promise.resolve();
  }

  /** Acks (`done`), naks with a delay (`retry`) or dead-letters (`dead`, or `retry` at max deliver). */
  settle(outcome: DeliveryOutcome): Promise<void> {
    this.#settlement ??= this.#settler(this.#msg, outcome);
    return this.#settlement;
  }
}
