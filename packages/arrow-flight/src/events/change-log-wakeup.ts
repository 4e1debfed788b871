import { CHANGE_LOG_CHANNEL, type Logger, type SqlClient } from '@fraiseql/core';

/**
 * One `LISTEN` on the change log's channel shared by every tail of a handler. A notification is
 * only a wake-up: tails always read rows from the table. Subscribes on the first waiter and
 * retries with backoff after a failure (tails keep their safety poll meanwhile).
 */
export class ChangeLogWakeup {
  readonly #db: SqlClient;
  readonly #logger: Logger;
  readonly #waiters = new Set<() => void>();
  #unlisten: Promise<(() => Promise<void>) | undefined> | undefined;
  #retryAt = 0;
  #failures = 0;
  #closed = false;
  #generation = 0;

  constructor(db: SqlClient, logger: Logger) {
    this.#db = db;
    this.#logger = logger;
  }

  /** True while subscribed. */
  get listening(): boolean {
    return this.#unlisten !== undefined && this.#failures === 0;
  }

  /** Subscribes when not subscribed yet (a failed subscription is retried with backoff). */
  ensure(): Promise<void> {
    if (this.#closed || this.#unlisten !== undefined || Date.now() < this.#retryAt) {
      return Promise.resolve();
    }
    const attempt = this.#db
      .listen(CHANGE_LOG_CHANNEL, () => {
        this.#wakeAll();
      })
      .then(
        (unlisten) => {
          this.#failures = 0;
          return unlisten;
        },
        (error: unknown) => {
          this.#failures++;
          this.#retryAt = Date.now() + Math.min(30_000, 250 * 2 ** this.#failures);
          this.#unlisten = undefined;
          this.#logger.warn({ err: error }, 'flight: events cannot LISTEN on the change log');
          return undefined;
        },
      );
    this.#unlisten = attempt;
    return attempt.then(() => undefined);
  }

  /** Counts notifications; read it before a read, pass it to {@link wait} after. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Resolves at the next notification, after `ms`, or when `signal` aborts, whichever is first;
   * at once when a notification arrived since `generation` was read.
   */
  wait(ms: number, signal: AbortSignal, generation: number): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted || generation !== this.#generation) {
        resolve();
        return;
      }
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.#waiters.add(done);
    });
  }

  #wakeAll(): void {
    this.#generation++;
    for (const wake of [...this.#waiters]) wake();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wakeAll();
    const unlisten = await this.#unlisten;
    this.#unlisten = undefined;
    await unlisten?.().catch(() => undefined);
  }
}
