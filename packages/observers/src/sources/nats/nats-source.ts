import {
  eventFromJson,
  ServiceHealthTracker,
  silentLogger,
  type EntityEvent,
  type EventSource,
  type EventSourceBacklog,
  type EventSourceStartOptions,
  type Logger,
  type ServiceHealth,
} from '@fraiseql/core';
import { ObserverError } from '../../errors.js';
import { noopObserverMetrics, type ObserverMetrics } from '../../metrics/observer-metrics.js';
import { consumerBacklog } from './consumer-backlog.js';
import { describeError, NatsMessageSettler } from './message-settler.js';
import {
  redactServer,
  type NatsFetchLike,
  type NatsMsgLike,
  type NatsPullConsumerLike,
} from './nats-client.js';
import { parseNatsConfig, type NatsConfig, type ResolvedNatsConfig } from './nats-config.js';
import { NatsDelivery } from './nats-delivery.js';
import { openNatsSession, type NatsSession } from './nats-session.js';
import {
  deadLetterStreamConfig,
  ensureConsumer,
  ensureStream,
  eventStreamConfig,
} from './nats-topology.js';

const MAX_FETCH_BACKOFF_MS = 5_000;
const REPAIR_AFTER_FAILURES = 3;

/** Options of {@link createNatsSource}: the NATS transport options plus logging and metrics. */
export interface NatsSourceOptions extends NatsConfig {
  /** @defaultValue silence */
  readonly logger?: Logger | undefined;
  /** @defaultValue no metrics */
  readonly metrics?: ObserverMetrics | undefined;
}

/** An {@link EventSource} reading events from a JetStream durable pull consumer. */
export interface NatsSource extends EventSource {
  readonly kind: 'nats';
  /** The validated options, defaults filled in. */
  readonly config: ResolvedNatsConfig;
  /**
   * Messages of the consumer not yet acknowledged (pending and in flight, over all workers)
   * and the age of the oldest, from the server's consumer info.
   *
   * @throws {ObserverError} `INVALID_ARGUMENT` before `start()`; `TRANSPORT_UNAVAILABLE`
   * when the server cannot answer.
   */
  backlog(options?: { readonly signal?: AbortSignal }): Promise<EventSourceBacklog>;
  /**
   * The connection as one entry named `nats`: `down` before `start()` connected (or after it
   * failed), `reconnecting` while the server is away, `up`, `closed` after `close()`.
   */
  services(): readonly ServiceHealth[];
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
  readonly #unsettled = new Set<NatsDelivery>();
  readonly #settling = new Set<Promise<void>>();
  #waiters: (() => void)[] = [];
  #heartbeats: NodeJS.Timeout | undefined;
  // Deliveries whose onDelivery promise is pending: a handler is working on them.
  readonly #working = new Set<NatsDelivery>();
  readonly #health: ServiceHealthTracker;
  #stats: NodeJS.Timeout | undefined;

  constructor(config: ResolvedNatsConfig, logger: Logger, metrics: ObserverMetrics) {
    this.config = config;
    this.#logger = logger;
    this.#metrics = metrics;
    this.#health = new ServiceHealthTracker({
      name: 'nats',
      kind: 'nats',
      target: config.servers.map(redactServer).join(','),
    });
    this.#health.onChange((health) => this.#metrics.serviceState?.(health));
  }

  services(): readonly ServiceHealth[] {
    return [this.#health.snapshot()];
  }

  /** Reports the consumer's backlog: what the server holds for it, not what one fetch saw. */
  async #reportStats(): Promise<void> {
    try {
      const backlog = await this.backlog();
      this.#metrics.natsPending(this.config.durable, backlog.events);
      this.#metrics.backlog(this.kind, backlog.events);
      this.#metrics.captureLag(this.kind, backlog.oldestAgeSeconds, backlog.events);
    } catch (error) {
      this.#logger.debug({ err: error }, 'nats source: could not read the consumer backlog');
    }
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
    let session: NatsSession | undefined;
    let consumer: NatsPullConsumerLike;
    try {
      session = await openNatsSession(this.config, this.#logger, this.#health);
      this.#session = session;
      consumer = await this.#prepare(session);
    } catch (error) {
      // Nothing runs yet: start() may be called again (the server may be back by then).
      await session?.close();
      this.#session = undefined;
      this.#started = false;
      throw error;
    }
    if (this.#isClosed()) {
      await session.close();
      throw new ObserverError('CLOSED', 'nats source: closed while starting');
    }
    // The start signal only stops fetching: settlements are still accepted until close().
    options.signal?.addEventListener('abort', () => void this.#stopFetching(), { once: true });
    this.#loop = this.#pull(session, consumer, options.onDelivery, maxInFlight);
    // While an onDelivery promise is pending (the observer runtime's resolves once the event is
    // settled), its message gets `working()` three times per ackWait, so a long action (or one
    // waiting on a breaker or a backoff) is never redelivered while it still runs here. A
    // handler that returns at once keeps its message only until ackWait.
    this.#heartbeats = setInterval(
      () => {
        for (const delivery of this.#working) void delivery.heartbeat();
      },
      Math.max(1, Math.floor(this.config.ackWait / 3)),
    );
    this.#heartbeats.unref();
    let reporting = false;
    this.#stats = setInterval(() => {
      if (reporting) return;
      reporting = true;
      void this.#reportStats().finally(() => {
        reporting = false;
      });
    }, this.config.statsInterval);
    this.#stats.unref();
  }

  async backlog(options: { readonly signal?: AbortSignal } = {}): Promise<EventSourceBacklog> {
    const session = this.#session;
    if (session === undefined) {
      throw new ObserverError('INVALID_ARGUMENT', 'nats source: backlog() needs start() first');
    }
    options.signal?.throwIfAborted();
    return consumerBacklog(session, this.config.stream, this.config.durable);
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

  // Creates what is missing (streams, consumer) and binds to the durable consumer.
  async #prepare(session: NatsSession): Promise<NatsPullConsumerLike> {
    await ensureStream(session, eventStreamConfig(this.config), {
      update: false,
      logger: this.#logger,
    });
    await ensureStream(session, deadLetterStreamConfig(this.config), {
      update: true,
      logger: this.#logger,
    });
    await ensureConsumer(session, this.config, this.#logger);
    return session.jetstream.consumers.get(this.config.stream, this.config.durable);
  }

  async #stopFetching(): Promise<void> {
    this.#stop.abort();
    this.#wake();
    await this.#batch?.close().catch(() => undefined);
  }

  async #shutdown(): Promise<void> {
    await this.#stopFetching();
    await this.#loop;
    while (this.#settling.size > 0) await Promise.all(this.#settling);
    let handedBack = 0;
    for (const delivery of this.#unsettled) {
      const detached = delivery.detached;
      if (delivery.handBack()) {
        handedBack += 1;
        if (!detached) this.#release();
      }
    }
    this.#unsettled.clear();
    clearInterval(this.#heartbeats);
    clearInterval(this.#stats);
    if (handedBack > 0) {
      this.#logger.info({ handedBack }, 'nats source closed; unsettled messages handed back');
    }
    await this.#session?.close();
    this.#health.closed();
  }

  async #pull(
    session: NatsSession,
    bound: NatsPullConsumerLike,
    onDelivery: EventSourceStartOptions['onDelivery'],
    maxInFlight: number,
  ): Promise<void> {
    const settler = new NatsMessageSettler(session, this.config, this.#logger);
    let consumer = bound;
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
        // close() may have come while the pull request was being made.
        if (this.#stopping()) await batch.close();
        let received = 0;
        for await (const msg of batch) {
          received += 1;
          this.#receive(settler, msg, onDelivery);
        }
        if (received > 0) this.#metrics.sourceBatch(this.kind, received);
        failures = 0;
      } catch (error) {
        if (this.#stopping()) break;
        failures += 1;
        const retryInMs = Math.min(100 * 2 ** failures, MAX_FETCH_BACKOFF_MS);
        this.#logger.warn({ error, failures, retryInMs }, 'nats pull failed; retrying');
        await this.#changed(retryInMs);
        // Pulls keep failing while the server answers: the consumer (or the whole stream, on
        // a server with memory storage that restarted) may be gone. Recreate what is missing.
        if (failures % REPAIR_AFTER_FAILURES === 0 && !this.#stopping()) {
          try {
            consumer = await this.#prepare(session);
            this.#logger.info({ failures }, 'nats consumer checked after repeated pull failures');
          } catch (repairError) {
            this.#logger.warn({ error: repairError }, 'nats consumer check failed; retrying');
          }
        }
      } finally {
        this.#batch = undefined;
      }
    }
  }

  #receive(
    settler: NatsMessageSettler,
    msg: NatsMsgLike,
    onDelivery: EventSourceStartOptions['onDelivery'],
  ): void {
    const deliveries = msg.info.deliveryCount;
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
      void this.#track(
        settler.deadLetter({ msg, kind: 'malformed', reason: describeError(error) }),
      );
      return;
    }
    if (deliveries > this.config.maxDeliver) {
      // The previous delivery was the last allowed one and was never settled (its worker
      // stopped or it outlived ackWait without progress).
      void this.#track(
        settler.deadLetter({
          msg,
          kind: 'max-deliver',
          eventId: event.id,
          reason: `not settled after ${deliveries - 1} deliveries (maxDeliver ${this.config.maxDeliver}): the last attempt timed out after ackWait ${this.config.ackWait}ms or its worker stopped`,
        }),
      );
      return;
    }
    const delivery: NatsDelivery = new NatsDelivery(
      msg,
      event,
      (m, outcome) => {
        this.#unsettled.delete(delivery);
        // A detached message gave its place back already.
        return this.#track(settler.settle(m, event.id, outcome), !delivery.detached);
      },
      () => {
        this.#release();
      },
    );
    this.#unsettled.add(delivery);
    void this.#hand(delivery, onDelivery);
  }

  async #hand(
    delivery: NatsDelivery,
    onDelivery: EventSourceStartOptions['onDelivery'],
  ): Promise<void> {
    this.#working.add(delivery);
    try {
      await onDelivery(delivery);
    } catch (error) {
      this.#logger.warn(
        { error, eventId: delivery.event.id, attempt: delivery.attempt },
        'delivery handler threw; the message will be redelivered',
      );
      if (!delivery.settled)
        await delivery.settle({ status: 'retry', error }).catch(() => undefined);
    } finally {
      this.#working.delete(delivery);
    }
  }

  // Each held message ends in exactly one settlement; the slot frees when it is done.
  #track(work: Promise<void>, release = true): Promise<void> {
    const tracked: Promise<void> = work
      .catch((error: unknown) => {
        this.#logger.error({ error }, 'nats settlement failed');
      })
      .finally(() => {
        this.#settling.delete(tracked);
        if (release) this.#release();
      });
    this.#settling.add(tracked);
    return tracked;
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
