import {
  serializeEvent,
  ServiceHealthTracker,
  silentLogger,
  type Delivery,
  type EventSource,
  type Logger,
  type ServiceHealth,
} from '@fraiseql/core';
import { ObserverError } from '../../errors.js';
import { eventSubject } from './event-subject.js';
import { parseNatsConfig, type NatsConfig, type ResolvedNatsConfig } from './nats-config.js';
import { redactServer } from './nats-client.js';
import { openNatsSession, type NatsSession } from './nats-session.js';
import { ensureStream, eventStreamConfig } from './nats-topology.js';

// Room left in the server's max_payload for the subject and the Nats-Msg-Id header.
const HEADER_ALLOWANCE = 256;
// While publishes fail, the stream is checked (and recreated if gone) at most this often.
const STREAM_CHECK_INTERVAL_MS = 5_000;

/** Options of {@link createNatsBridge}. */
export interface NatsBridgeOptions extends NatsConfig {
  /** Where the events come from, usually the change-log source. */
  readonly source: EventSource;
  /** @defaultValue silence */
  readonly logger?: Logger | undefined;
}

/** Counters of a running bridge. */
export interface NatsBridgeStats {
  /** Events the stream stored. */
  readonly published: number;
  /** Events the stream recognised by `Nats-Msg-Id` as already stored (within the window). */
  readonly duplicates: number;
  /** Publish attempts that failed and were handed back to the source for retry. */
  readonly failed: number;
  /** Events too large for the server, settled `dead` at the source. */
  readonly rejected: number;
  /** Publishes awaiting their PubAck. */
  readonly pending: number;
}

/** Moves events from an {@link EventSource} into a JetStream stream. */
export interface NatsBridge {
  /** The validated options, defaults filled in. */
  readonly config: ResolvedNatsConfig;
  /**
   * Connects, creates or updates the stream, then starts the source; resolves when the
   * source's `start()` resolves. Publishing runs until `close()` or `signal` aborts.
   *
   * @throws {ObserverError} `TRANSPORT_UNAVAILABLE` when NATS or JetStream cannot be reached.
   */
  start(options?: { readonly signal?: AbortSignal }): Promise<void>;
  stats(): NatsBridgeStats;
  /**
   * The bridge's NATS connection as `nats:bridge` (`down` before `start()` connected or after
   * it failed, `reconnecting` while the server is away, `up`, `closed`), followed by the
   * source's own connections.
   */
  services(): readonly ServiceHealth[];
  /** Closes the source (which waits for pending PubAcks), then the connection. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Creates a bridge that drains a source (the change log) into the event stream: each event
 * goes to `{subjectPrefix}.{entityType}.{eventType}` with `Nats-Msg-Id` set to the event id.
 * Publishing is asynchronous with up to `maxPendingPublishes` PubAcks outstanding, and a
 * delivery is settled `done` only when the server acknowledged the message, so the source
 * saves progress only for stored events; a failed publish is settled `retry`. After a crash
 * the source redelivers what was not acknowledged, and the stream drops what it already has
 * (within `duplicateWindow`).
 *
 * @throws {ObserverError} `CONFIG_INVALID` for invalid options.
 * @example
 * await using bridge = createNatsBridge({ source: changeLog, servers: process.env.NATS_URL });
 * await bridge.start();
 */
export function createNatsBridge(options: NatsBridgeOptions): NatsBridge {
  const { source, logger, ...config } = options;
  return new JetStreamBridge(source, parseNatsConfig(config), logger ?? silentLogger);
}

class JetStreamBridge implements NatsBridge {
  readonly config: ResolvedNatsConfig;
  readonly #source: EventSource;
  readonly #logger: Logger;
  readonly #encoder = new TextEncoder();
  #session: NatsSession | undefined;
  #started = false;
  #closing: Promise<void> | undefined;
  #published = 0;
  #duplicates = 0;
  #failed = 0;
  #rejected = 0;
  #pending = 0;
  #drained: (() => void) | undefined;
  #lastStreamCheck = 0;
  // Aborted on close: the source stops handing out events while pending PubAcks arrive.
  readonly #fetching = new AbortController();

  readonly #health: ServiceHealthTracker;

  constructor(source: EventSource, config: ResolvedNatsConfig, logger: Logger) {
    this.#source = source;
    this.config = config;
    this.#logger = logger;
    this.#health = new ServiceHealthTracker({
      name: 'nats:bridge',
      kind: 'nats',
      target: config.servers.map(redactServer).join(','),
    });
  }

  services(): readonly ServiceHealth[] {
    const own = (this.#source as { services?: () => readonly ServiceHealth[] }).services?.() ?? [];
    return [this.#health.snapshot(), ...own];
  }

  async start(options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    if (this.#closing !== undefined) throw new ObserverError('CLOSED', 'nats bridge: closed');
    if (this.#started) throw new ObserverError('INVALID_ARGUMENT', 'nats bridge: already started');
    options.signal?.throwIfAborted();
    this.#started = true;
    const session = await openNatsSession(this.config, this.#logger, this.#health);
    this.#session = session;
    try {
      await ensureStream(session, eventStreamConfig(this.config), {
        update: true,
        logger: this.#logger,
      });
      if (this.#isClosed()) throw new ObserverError('CLOSED', 'nats bridge: closed while starting');
      options.signal?.addEventListener('abort', () => void this.close(), { once: true });
      await this.#source.start({
        maxInFlight: this.config.maxPendingPublishes,
        signal:
          options.signal === undefined
            ? this.#fetching.signal
            : AbortSignal.any([options.signal, this.#fetching.signal]),
        onDelivery: (delivery) => {
          this.#publish(session, delivery);
        },
      });
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  #isClosed(): boolean {
    return this.#closing !== undefined;
  }

  stats(): NatsBridgeStats {
    return {
      published: this.#published,
      duplicates: this.#duplicates,
      failed: this.#failed,
      rejected: this.#rejected,
      pending: this.#pending,
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    this.#fetching.abort();
    // Let publishes in flight get their PubAck and settle `done` before the source closes,
    // so a clean stop republishes nothing; each publish ends within ackTimeout.
    if (this.#pending > 0) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
    }
    try {
      await this.#source.close();
    } finally {
      await this.#session?.close();
      this.#health.closed();
    }
  }

  // Returns at once so the source can hand out the next event while this one is in flight;
  // the source's maxInFlight bounds the PubAcks outstanding.
  #publish(session: NatsSession, delivery: Delivery): void {
    const { event } = delivery;
    const payload = this.#encoder.encode(serializeEvent(event));
    if (payload.byteLength + HEADER_ALLOWANCE > session.maxPayload) {
      this.#rejected += 1;
      const error = new ObserverError(
        'PAYLOAD_TOO_LARGE',
        `event ${event.id}: ${payload.byteLength} bytes of JSON exceed the NATS server's max_payload of ${session.maxPayload} bytes`,
        { details: { eventId: event.id, bytes: payload.byteLength } },
      );
      this.#logger.error({ eventId: event.id, bytes: payload.byteLength }, error.message);
      this.#settle(delivery, { status: 'dead', error });
      return;
    }
    this.#pending += 1;
    session.jetstream
      .publish(eventSubject(this.config.subjectPrefix, event), payload, {
        msgID: event.id,
        timeout: this.config.ackTimeout,
      })
      .then(
        (ack) => {
          if (ack.duplicate) this.#duplicates += 1;
          else this.#published += 1;
          this.#settle(delivery, { status: 'done' });
          this.#publishEnded();
        },
        (cause: unknown) => {
          this.#failed += 1;
          const error = new ObserverError(
            'TRANSPORT_UNAVAILABLE',
            `publishing event ${event.id} to NATS failed: ${String(cause)}`,
            { cause, retryable: true, errorType: 'nats_publish' },
          );
          this.#logger.warn(
            { eventId: event.id, error },
            'nats publish failed; the event will be retried',
          );
          this.#checkStream(session);
          this.#settle(delivery, {
            status: 'retry',
            delayMs: this.config.publishRetryDelay,
            error,
          });
          this.#publishEnded();
        },
      );
  }

  // A stream that vanished (deleted, or lost by a server with memory storage that restarted)
  // makes every publish fail with "no responders": recreate it, at most every few seconds.
  #checkStream(session: NatsSession): void {
    const now = Date.now();
    if (now - this.#lastStreamCheck < STREAM_CHECK_INTERVAL_MS || this.#isClosed()) return;
    this.#lastStreamCheck = now;
    ensureStream(session, eventStreamConfig(this.config), {
      update: true,
      logger: this.#logger,
    }).catch((error: unknown) => {
      this.#logger.debug({ error }, 'nats stream check failed; publishes keep being retried');
    });
  }

  #publishEnded(): void {
    this.#pending -= 1;
    if (this.#pending === 0) this.#drained?.();
  }

  #settle(delivery: Delivery, outcome: Parameters<Delivery['settle']>[0]): void {
    delivery.settle(outcome).catch((error: unknown) => {
      this.#logger.error(
        { error, eventId: delivery.event.id, status: outcome.status },
        'settling a bridged event failed; the source will deliver it again',
      );
    });
  }
}
