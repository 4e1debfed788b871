import type { ServiceHealthTracker } from '../health/service-health-tracker.js';
import type { Logger } from '../logging/logger.js';
import { isConnectionLoss } from './pg-connection-loss.js';
import type { PgConnectionLike, PgPoolLike } from './pg-client.js';
import type { ListenOptions } from './sql-client.js';

interface Subscriber extends ListenOptions {
  readonly onNotify: (payload: string) => void;
}

interface Notification {
  channel: string;
  payload?: string | undefined;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/**
 * The dedicated LISTEN connection of a {@link pgClient}: taken from the pool once, kept out of
 * it, and re-established with full-jitter backoff (re-issuing every `LISTEN`) when the server
 * drops it. Subscribers hear `onLost` when it goes and `onRestored` when it is back, so they can
 * poll in between: notifications sent while it was down are not replayed.
 */
export class PgListener {
  readonly #pool: PgPoolLike;
  readonly #health: ServiceHealthTracker;
  readonly #logger: Logger;
  readonly #channels = new Map<string, Set<Subscriber>>();
  #connection: PgConnectionLike | undefined;
  #connecting: Promise<PgConnectionLike> | undefined;
  #reconnecting = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #wakeRetry: (() => void) | undefined;
  #closed = false;
  #started = false;

  constructor(pool: PgPoolLike, health: ServiceHealthTracker, logger: Logger) {
    this.#pool = pool;
    this.#health = health;
    this.#logger = logger;
  }

  /** True once something subscribed (the connection then shows in health reports). */
  get started(): boolean {
    return this.#started;
  }

  /**
   * Subscribes `subscriber` to `channel`. The first call opens the connection and rejects when
   * it cannot; later calls made while the connection is being re-established resolve at once
   * (and call `onLost`), and listen as soon as it is back.
   */
  async subscribe(channel: string, subscriber: Subscriber): Promise<() => Promise<void>> {
    this.#started = true;
    let set = this.#channels.get(channel);
    const fresh = set === undefined;
    if (set === undefined) {
      set = new Set();
      this.#channels.set(channel, set);
    }
    set.add(subscriber);
    const unsubscribe = (): Promise<void> => this.#unsubscribe(channel, subscriber);
    if (this.#reconnecting) {
      queueMicrotask(() => subscriber.onLost?.(this.#health.snapshot().lastError));
      return unsubscribe;
    }
    try {
      const connection = await this.#connect();
      if (fresh) await connection.query(`LISTEN ${channel}`);
    } catch (error) {
      // Lost while subscribing: the reconnection listens on every channel, this one included.
      if (this.#isReconnecting() && isConnectionLoss(error)) {
        subscriber.onLost?.(error);
        return unsubscribe;
      }
      set.delete(subscriber);
      if (set.size === 0) this.#channels.delete(channel);
      throw error;
    }
    return unsubscribe;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#wakeRetry?.();
    const connection = this.#connection ?? (await this.#connecting?.catch(() => undefined));
    this.#connection = undefined;
    if (connection !== undefined) this.#discard(connection);
    if (this.#started) this.#health.closed();
  }

  async #unsubscribe(channel: string, subscriber: Subscriber): Promise<void> {
    const set = this.#channels.get(channel);
    if (set === undefined || !set.delete(subscriber) || set.size > 0) return;
    this.#channels.delete(channel);
    if (this.#closed || this.#connection === undefined) return;
    await this.#connection.query(`UNLISTEN ${channel}`).catch((error: unknown) => {
      // A lost connection forgets its LISTENs anyway; the reconnection skips this channel.
      if (!isConnectionLoss(error)) throw error;
    });
  }

  #connect(): Promise<PgConnectionLike> {
    if (this.#connection !== undefined) return Promise.resolve(this.#connection);
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #open(): Promise<PgConnectionLike> {
    const connection = await this.#pool.connect().catch((error: unknown) => {
      // The first connection failed: nothing retries until the next listen(). While
      // re-establishing, the state stays `reconnecting`.
      if (!this.#reconnecting) this.#health.down(error);
      throw error;
    });
    const onLoss = (error?: Error): void => {
      this.#lost(connection, error ?? new Error('the LISTEN connection ended'));
    };
    connection.on('notification', this.#onNotification);
    connection.on('error', onLoss);
    connection.on('end', onLoss);
    if (this.#closed) {
      this.#discard(connection);
      throw new Error('the client was closed while listening');
    }
    this.#connection = connection;
    try {
      for (const channel of this.#channels.keys()) await connection.query(`LISTEN ${channel}`);
    } catch (error) {
      this.#lost(connection, error);
      throw error;
    }
    this.#health.up();
    return connection;
  }

  readonly #onNotification = (message: Notification): void => {
    for (const subscriber of this.#channels.get(message.channel) ?? []) {
      subscriber.onNotify(message.payload ?? '');
    }
  };

  #lost(connection: PgConnectionLike, error: unknown): void {
    if (this.#closed || this.#connection !== connection) return;
    this.#connection = undefined;
    this.#discard(connection);
    this.#health.reconnecting(error);
    this.#logger.warn({ err: error }, 'PostgreSQL LISTEN connection lost; re-establishing it');
    this.#tell((subscriber) => subscriber.onLost?.(error));
    if (!this.#reconnecting) void this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    this.#reconnecting = true;
    try {
      for (let attempt = 0; !this.#closed; attempt++) {
        await this.#sleep(
          Math.max(10, Math.random() * Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt)),
        );
        if (this.#isClosed()) return;
        try {
          await this.#connect();
        } catch (error) {
          this.#health.reconnecting(error);
          continue;
        }
        this.#reconnecting = false;
        this.#logger.info({}, 'PostgreSQL LISTEN connection re-established');
        this.#tell((subscriber) => subscriber.onRestored?.());
        return;
      }
    } finally {
      this.#reconnecting = false;
    }
  }

  // Methods, not fields, where the flag is read again after an await (no stale narrowing).
  #isReconnecting(): boolean {
    return this.#reconnecting;
  }

  #isClosed(): boolean {
    return this.#closed;
  }

  #tell(call: (subscriber: Subscriber) => void): void {
    for (const set of this.#channels.values()) {
      for (const subscriber of set) {
        try {
          call(subscriber);
        } catch (error) {
          this.#logger.error({ err: error }, 'a LISTEN subscriber threw');
        }
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wakeRetry = resolve;
      this.#retryTimer = setTimeout(resolve, ms);
    });
  }

  #discard(connection: PgConnectionLike): void {
    connection.removeListener('notification', this.#onNotification);
    // Keep a listener: a connection being destroyed may still report its end as an error.
    connection.on('error', () => undefined);
    // A listening connection goes back to the pool only after UNLISTEN; destroy it instead.
    try {
      connection.release?.(true);
    } catch {
      // Already released by the pool after its own error handling.
    }
  }
}
