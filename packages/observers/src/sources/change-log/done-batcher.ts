import type { SqlClient } from '@fraiseql/core';
import { SETTLE_DONE } from './change-log-queries.js';

interface Waiter {
  readonly resolve: (leaseHeld: boolean) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Collects `done` settlements and finishes them with one DELETE per flush: a handler that
 * settles while a flush is running joins the next one. Each caller learns whether its claim
 * was still leased to this worker.
 */
export class DoneBatcher {
  readonly #db: SqlClient;
  readonly #consumer: string;
  readonly #workerId: string;
  #queue = new Map<string, Waiter[]>();
  #running: Promise<void> | undefined;

  constructor(db: SqlClient, consumer: string, workerId: string) {
    this.#db = db;
    this.#consumer = consumer;
    this.#workerId = workerId;
  }

  /** Queues one claim; resolves to false when the lease had passed to another worker. */
  finish(pk: string): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const waiters = this.#queue.get(pk) ?? [];
      waiters.push({ resolve, reject });
      this.#queue.set(pk, waiters);
      this.#running ??= this.#drain();
    });
  }

  /** Resolves once everything queued so far is written. */
  async flush(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async #drain(): Promise<void> {
    // Let handlers that finish in the same tick join this batch.
    await Promise.resolve();
    try {
      while (this.#queue.size > 0) {
        const batch = this.#queue;
        this.#queue = new Map();
        try {
          const result = await this.#db.query<{ pk: string }>(SETTLE_DONE, [
            this.#consumer,
            this.#workerId,
            [...batch.keys()],
          ]);
          const held = new Set(result.rows.map((row) => row.pk));
          for (const [pk, waiters] of batch) {
            for (const waiter of waiters) waiter.resolve(held.has(pk));
          }
        } catch (error) {
          for (const waiters of batch.values()) {
            for (const waiter of waiters) waiter.reject(error);
          }
        }
      }
    } finally {
      this.#running = undefined;
    }
  }
}
