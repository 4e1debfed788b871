import {
  eventFromJson,
  silentLogger,
  type DeliveryOutcome,
  type EntityEvent,
  type EventSource,
  type EventSourceStartOptions,
  type Logger,
} from '@fraiseql/core';
import { ObserverError } from '../../errors.js';
import { noopObserverMetrics, type ObserverMetrics } from '../../metrics/observer-metrics.js';
import { publishDeadLetter, type NatsDeadLetter } from './dead-letter.js';
import type { NatsFetchLike, NatsMsgLike, NatsPullConsumerLike } from './nats-client.js';
import { parseNatsConfig, type NatsConfig, type ResolvedNatsConfig } from './nats-config.js';
import { NatsDelivery } from './nats-delivery.js';
import { openNatsSession, type NatsSession } from './nats-session.js';
import {
  deadLetterStreamConfig,
  ensureConsumer,
  ensureStream,
  eventStreamConfig,
} from './nats-topology.js';
import { nakDelay } from './nak-delay.js';

const MAX_FETCH_BACKOFF_MS = 5_000;

/** Options of {@link createNatsSource}: the NATS transport options plus logging and metrics. */
export interface NatsSourceOptions extends NatsConfig {
  /** @defaultValue silence */
  readonly logger?: Logger;
  /** @defaultValue no metrics */
  readonly metrics?: ObserverMetrics;
}

/** An {@link EventSource} reading events from a JetStream durable pull consumer. */
export interface NatsSource extends EventSource {
  readonly kind: 'nats';
  /** The validated options, defaults filled in. */
  readonly config: ResolvedNatsConfig;
}

/**
 * Creates a source that reads events from the JetStream stream the NATS bridge fills. Every
 * worker started with the same `durable` pulls from one shared consumer (competing
 * consumers); a message is acked only once its delivery is settled `done`, naked with a
 * growing delay on `retry`, and moved to the dead-letter stream, with the reason in its
 * headers, when it is settled `dead`, fails its last allowed delivery, or is not an event.
 *
 * `start()` connects, creates the streams and the consumer when missing, and resolves once
 * messages are being pulled; delivery goes on in the background, across server restarts,
 * until `close()` or the start signal. `maxInFlight` (default `batchSize`) bounds the
 * messages one worker holds unsettled.
 *
 * @throws {ObserverError} `CONFIG_INVALID` for invalid options.
 * @example
 * await using source = createNatsSource({ servers: process.env.NATS_URL, durable: 'mailer' });
 * await source.start({ onDelivery: async (d) => { await handle(d.event); await d.settle({ status: 'done' }); } });
 */
export function createNatsSource(options: NatsSourceOptions = {}): NatsSource {
  const { logger, metrics, ...config } = options;
  return new NatsEventSource(
    parseNatsConfig(config),
    logger ?? silentLogger,
    metrics ?? noopObserverMetrics,
  );
}

class NatsEventSource implements NatsSource {
  readonly kind = 'nats' as const;
  readonly config: ResolvedNatsConfig;
  readonly #logger: Logger;
  readonly #metrics: ObserverMetrics;
  readonly #stop = new AbortController();
  #started = false;
  #session: NatsSession | undefined;
  #loop: Promise<void> | undefined;
  #batch: NatsFetchLike | undefined;
  #closing: Promise<void> | undefined;
  // Messages this worker holds: received and not yet acked, naked or dead-lettered.
  #held = 0;
  #waiters: (() => void)[] = [];

  constructor(config: ResolvedNatsConfig, logger: Logger, metrics: ObserverMetrics) {
    this.config = config;
    this.#logger = logger;
    this.#metrics = metrics;
  }

  async start(options: EventSourceStartOptions): Promise<void> {
    if (this.#closing !== undefined) {
      throw new ObserverError('CLOSED', 'nats source: closed; create a new source to start again');
    }
    if (this.#started) throw new ObserverError('INVALID_ARGUMENT', 'nats source: already started');
    const maxInFlight = options.maxInFlight ?? this.config.batchSize;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw new ObserverError(
        'INVALID_ARGUMENT',
        `nats source: maxInFlight: expected a positive integer, got ${maxInFlight}`,
      );
    }
    options.signal?.throwIfAborted();
    this.#started = true;
    const session = await openNatsSession(this.config, this.#logger);
    this.#session = session;
    let consumer: NatsPullConsumerLike;
    try {
      await ensureStream(session, eventStreamConfig(this.config), {
        update: false,
        logger: this.#logger,
      });
      await ensureStream(session, deadLetterStreamConfig(this.config), {
        update: true,
        logger: this.#logger,
      });
      await ensureConsumer(session, this.config, this.#logger);
      consumer = await session.jetstream.consumers.get(this.config.stream, this.config.durable);
    } catch (error) {
      await session.close();
      throw error;
    }
    if (this.#isClosed()) {
      await session.close();
      throw new ObserverError('CLOSED', 'nats source: closed while starting');
    }
    options.signal?.addEventListener('abort', () => void this.close(), { once: true });
    this.#loop = this.#pull(session, consumer, options.onDelivery, maxInFlight);
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #isClosed(): boolean {
    return this.#closing !== undefined;
  }

  #stopping(): boolean {
    return this.#stop.signal.aborted;
  }

  async #shutdown(): Promise<void> {
    this.#stop.abort();
    this.#wake();
    await this.#batch?.close().catch(() => undefined);
    await this.#loop;
    // Handlers get one ack-wait to settle; after that the server redelivers their messages
    // to another worker anyway, so waiting longer would only delay shutdown.
    const deadline = Date.now() + this.config.ackWait;
    while (this.#held > 0 && Date.now() < deadline) {
      await this.#changed(deadline - Date.now());
    }
    if (this.#held > 0) {
      this.#logger.warn(
        { held: this.#held },
        'nats source closed with unsettled messages; the server will redeliver them',
      );
    }
    await this.#session?.close();
  }

  async #pull(
    session: NatsSession,
    consumer: NatsPullConsumerLike,
    onDelivery: EventSourceStartOptions['onDelivery'],
    maxInFlight: number,
  ): Promise<void> {
    let failures = 0;
    while (!this.#stopping()) {
      while (this.#held >= maxInFlight && !this.#stopping()) await this.#changed();
      if (this.#stopping()) break;
      try {
        const batch = await consumer.fetch({
          max_messages: Math.min(this.config.batchSize, maxInFlight - this.#held),
          expires: this.config.fetchExpires,
        });
        this.#batch = batch;
        let received = 0;
        for await (const msg of batch) {
          received += 1;
          this.#receive(session, msg, onDelivery);
        }
        if (received > 0) this.#metrics.sourceBatch(this.kind, received);
        failures = 0;
      } catch (error) {
        if (this.#stopping()) break;
        failures += 1;
        const retryInMs = Math.min(100 * 2 ** failures, MAX_FETCH_BACKOFF_MS);
        this.#logger.warn({ error, failures, retryInMs }, 'nats pull failed; retrying');
        await this.#changed(retryInMs);
      } finally {
        this.#batch = undefined;
      }
    }
  }

  #receive(
    session: NatsSession,
    msg: NatsMsgLike,
    onDelivery: EventSourceStartOptions['onDelivery'],
  ): void {
    const deliveries = msg.info.deliveryCount;
    this.#metrics.natsPending(this.config.durable, msg.info.pending);
    if (deliveries > 1) this.#metrics.natsRedelivered(this.config.durable);
    if (this.#stopping()) {
      msg.nak(); // hand it straight back to the other workers
      return;
    }
    this.#held += 1;
    let event: EntityEvent;
    try {
      event = eventFromJson(msg.data);
    } catch (error) {
      this.#metrics.malformedEvent(this.kind);
      void this.#deadLetter(session, { msg, kind: 'malformed', reason: describeError(error) });
      return;
    }
    if (deliveries > this.config.maxDeliver) {
      // The previous delivery was the last allowed one and was never settled (its worker
      // stopped or it outlived ackWait without progress).
      void this.#deadLetter(session, {
        msg,
        kind: 'max-deliver',
        eventId: event.id,
        reason: `not settled after ${deliveries - 1} deliveries (maxDeliver ${this.config.maxDeliver}): the last attempt timed out after ackWait ${this.config.ackWait}ms or its worker stopped`,
      });
      return;
    }
    const delivery = new NatsDelivery(msg, event, (m, outcome) =>
      this.#settle(session, m, event, outcome),
    );
    void this.#hand(delivery, onDelivery);
  }

  async #hand(
    delivery: NatsDelivery,
    onDelivery: EventSourceStartOptions['onDelivery'],
  ): Promise<void> {
    try {
      await onDelivery(delivery);
    } catch (error) {
      this.#logger.warn(
        { error, eventId: delivery.event.id, attempt: delivery.attempt },
        'delivery handler threw; the message will be redelivered',
      );
      if (!delivery.settled) await delivery.settle({ status: 'retry', error });
    }
  }

  async #settle(
    session: NatsSession,
    msg: NatsMsgLike,
    event: EntityEvent,
    outcome: DeliveryOutcome,
  ): Promise<void> {
    const deliveries = msg.info.deliveryCount;
    if (outcome.status === 'done') {
      await this.#ack(msg, event.id);
      this.#release();
    } else if (outcome.status === 'dead') {
      await this.#deadLetter(session, {
        msg,
        kind: 'rejected',
        eventId: event.id,
        reason: describeError(outcome.error),
      });
    } else if (deliveries >= this.config.maxDeliver) {
      await this.#deadLetter(session, {
        msg,
        kind: 'max-deliver',
        eventId: event.id,
        reason: `failed on delivery ${deliveries} of ${this.config.maxDeliver}: ${describeError(outcome.error)}`,
      });
    } else {
      const delayMs = outcome.delayMs ?? nakDelay(this.config, deliveries);
      msg.nak(delayMs);
      this.#logger.debug(
        { eventId: event.id, deliveries, delayMs, error: outcome.error },
        'delivery failed; redelivery requested',
      );
      this.#release();
    }
  }

  // Stores the dead letter, then acks the original; if the dead-letter stream cannot take it
  // the original is naked, so it comes back and is dead-lettered later: never dropped.
  async #deadLetter(session: NatsSession, letter: NatsDeadLetter): Promise<void> {
    const { msg } = letter;
    const fields = {
      kind: letter.kind,
      reason: letter.reason,
      subject: msg.subject,
      streamSequence: msg.info.streamSequence,
      eventId: letter.eventId,
    };
    try {
      await publishDeadLetter(session, this.config, letter);
    } catch (error) {
      this.#logger.error(
        { ...fields, error },
        'dead-lettering failed; the message will be offered again',
      );
      msg.nak(nakDelay(this.config, msg.info.deliveryCount));
      this.#release();
      return;
    }
    this.#logger.warn(fields, 'message moved to the dead-letter stream');
    await this.#ack(msg, letter.eventId);
    this.#release();
  }

  async #ack(msg: NatsMsgLike, eventId: string | undefined): Promise<void> {
    try {
      const confirmed = await msg.ackAck({ timeout: this.config.ackTimeout });
      if (!confirmed) throw new Error('the server did not confirm the ack');
    } catch (error) {
      // The server keeps the message and redelivers it after ackWait: at-least-once holds.
      this.#logger.warn(
        { error, eventId, streamSequence: msg.info.streamSequence },
        'nats ack not confirmed; the message may be delivered again',
      );
    }
  }

  #release(): void {
    this.#held -= 1;
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  // Resolves on the next release (or close), or after `timeoutMs`.
  #changed(timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer =
        timeoutMs === undefined ? undefined : setTimeout(resolve, Math.max(timeoutMs, 0));
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function describeError(error: unknown): string {
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
