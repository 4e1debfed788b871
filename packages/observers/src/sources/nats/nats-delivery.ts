import type { Delivery, DeliveryOutcome, EntityEvent } from '@fraiseql/core';
import { ObserverError } from '../../errors.js';
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
  #handedBack = false;
  #detached = false;
  readonly #onDetach: () => void;

  constructor(
    msg: NatsMsgLike,
    event: EntityEvent,
    settler: NatsSettler,
    onDetach: () => void = () => undefined,
  ) {
    this.#msg = msg;
    this.event = event;
    this.attempt = msg.info.deliveryCount;
    this.#settler = settler;
    this.#onDetach = onDetach;
  }

  /** Whether the consumer detached it (it no longer counts against the worker's limit). */
  get detached(): boolean {
    return this.#detached;
  }

  /** Stops counting the message against the worker's limit; it stays held until settled. */
  detach(): void {
    if (this.settled || this.#detached) return;
    this.#detached = true;
    this.#onDetach();
  }

  /** Whether `settle()` has been called (or the delivery was handed back). */
  get settled(): boolean {
    return this.#settlement !== undefined || this.#handedBack;
  }

  /** Resets the server's ack timer for this message (JetStream `working()`). */
  heartbeat(): Promise<void> {
    if (!this.settled) this.#msg.working();
    return Promise.resolve();
  }

  /**
   * Acks (`done`), naks with a delay (`retry`) or dead-letters (`dead`, or `retry` on the
   * last allowed delivery).
   *
   * @throws {ObserverError} `CLOSED` when the source already handed the message back.
   */
  settle(outcome: DeliveryOutcome): Promise<void> {
    if (this.#handedBack) {
      return Promise.reject(
        new ObserverError(
          'CLOSED',
          `the NATS source is closed; event ${this.event.id} was handed back and will be delivered again`,
        ),
      );
    }
    this.#settlement ??= this.#settler(this.#msg, outcome);
    return this.#settlement;
  }

  /** Gives an unsettled message back to the server for immediate redelivery (on close). */
  handBack(): boolean {
    if (this.settled) return false;
    this.#handedBack = true;
    this.#msg.nak();
    return true;
  }
}
