import type { DeliveryOutcome, Logger } from '@fraiseql/core';
import { publishDeadLetter, type NatsDeadLetter } from './dead-letter.js';
import type { NatsMsgLike } from './nats-client.js';
import type { ResolvedNatsConfig } from './nats-config.js';
import type { NatsSession } from './nats-session.js';
import { nakDelay } from './nak-delay.js';

/**
 * What happens to a JetStream message when its delivery is settled: an ack the server
 * confirms, a nak with a delay, or a copy in the dead-letter stream followed by an ack.
 * Every method resolves once the message is dealt with; none rejects.
 */
export class NatsMessageSettler {
  readonly #session: NatsSession;
  readonly #config: ResolvedNatsConfig;
  readonly #logger: Logger;

  constructor(session: NatsSession, config: ResolvedNatsConfig, logger: Logger) {
    this.#session = session;
    this.#config = config;
    this.#logger = logger;
  }

  /** Applies a handler's outcome to `msg`. */
  async settle(msg: NatsMsgLike, eventId: string, outcome: DeliveryOutcome): Promise<void> {
    const deliveries = msg.info.deliveryCount;
    const { maxDeliver } = this.#config;
    if (outcome.status === 'done') {
      await this.ack(msg, eventId);
    } else if (outcome.status === 'dead') {
      await this.deadLetter({
        msg,
        kind: 'rejected',
        eventId,
        reason: describeError(outcome.error),
      });
    } else if (deliveries >= maxDeliver) {
      await this.deadLetter({
        msg,
        kind: 'max-deliver',
        eventId,
        reason: `failed on delivery ${deliveries} of ${maxDeliver}: ${describeError(outcome.error)}`,
      });
    } else {
      const delayMs = outcome.delayMs ?? nakDelay(this.#config, deliveries);
      msg.nak(delayMs);
      this.#logger.debug(
        { eventId, deliveries, delayMs, error: outcome.error },
        'delivery failed; redelivery requested',
      );
    }
  }

  /**
   * Stores the dead letter, then acks the original. If the dead-letter stream cannot take it
   * the original is naked instead, so it comes back and is dead-lettered later: a message is
   * never dropped without a trace.
   */
  async deadLetter(letter: NatsDeadLetter): Promise<void> {
    const { msg } = letter;
    const fields = {
      kind: letter.kind,
      reason: letter.reason,
      subject: msg.subject,
      streamSequence: msg.info.streamSequence,
      eventId: letter.eventId,
    };
    try {
      await publishDeadLetter(this.#session, this.#config, letter);
    } catch (error) {
      this.#logger.error(
        { ...fields, error },
        'dead-lettering failed; the message will be offered again',
      );
      msg.nak(nakDelay(this.#config, msg.info.deliveryCount));
      return;
    }
    this.#logger.warn(fields, 'message moved to the dead-letter stream');
    await this.ack(msg, letter.eventId);
  }

  /** Acks and waits for the server's confirmation; a lost confirmation is only logged. */
  async ack(msg: NatsMsgLike, eventId: string | undefined): Promise<void> {
    try {
      const confirmed = await msg.ackAck({ timeout: this.#config.ackTimeout });
      if (!confirmed) throw new Error('the server did not confirm the ack');
    } catch (error) {
      // The server keeps the message and redelivers it after ackWait: at-least-once holds.
      this.#logger.warn(
        { error, eventId, streamSequence: msg.info.streamSequence },
        'nats ack not confirmed; the message may be delivered again',
      );
    }
  }
}

/** One line saying what went wrong, for dead-letter headers. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string'
      ? `${error.name} ${code}: ${error.message}`
      : `${error.name}: ${error.message}`;
  }
  if (typeof error === 'string') return error;
  // JSON.stringify gives undefined for undefined, functions and symbols.
  const json = JSON.stringify(error) as unknown;
  return typeof json === 'string' ? json : String(error);
}
