import type { SqlClient } from '@fraiseql/core';
import type { ClaimBatch, ClaimTarget } from './claim-batch.js';
import { SETTLE_DONE } from './change-log-queries.js';

interface Waiter {
  readonly resolve: (leaseHeld: boolean) => void;
  readonly reject: (error: unknown) => void;
}

interface BatchMarks {
  readonly positions: number[];
  readonly waiters: Waiter[];
}

/**
 * Collects `done` settlements and writes them with one statement per flush: the finished bits
 * of each batch (or the batch's deletion once all its rows are finished) and the deletion of
 * rows claimed alone. A handler that settles while a flush is running joins the next one. Each
 * caller learns whether its claim was still leased to this worker.
 */
export class DoneBatcher {
  readonly #db: SqlClient;
  readonly #consumer: string;
  readonly #workerId: string;
  readonly #onBatchGone: (batch: ClaimBatch) => void;
  #batches = new Map<ClaimBatch, BatchMarks>();
  #singles = new Map<string, Waiter[]>();
  #running: Promise<void> | undefined;

  /** `onBatchGone` hears of every batch deleted, or found leased elsewhere, by a flush. */
  constructor(
    db: SqlClient,
    consumer: string,
    workerId: string,
    onBatchGone: (batch: ClaimBatch) => void = () => undefined,
  ) {
    this.#db = db;
    this.#consumer = consumer;
    this.#workerId = workerId;
    this.#onBatchGone = onBatchGone;
  }

  /** Queues one claim; resolves to false when the lease had passed to another worker. */
  finish(target: ClaimTarget): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const waiter = { resolve, reject };
      if (target.batch === undefined) {
        const waiters = this.#singles.get(target.pk);
        if (waiters === undefined) this.#singles.set(target.pk, [waiter]);
        else waiters.push(waiter);
      } else {
        const marks = this.#marks(target.batch);
        // A write tried again after a lost connection counts its row only once.
        target.batch.finish(target.position);
        marks.positions.push(target.position);
        marks.waiters.push(waiter);
      }
      this.#running ??= this.#drain();
    });
  }

  /**
   * Deletes a batch whose rows were all finished by other statements (retries, parks); resolves
   * to false when its lease had passed to another worker.
   */
  complete(batch: ClaimBatch): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#marks(batch).waiters.push({ resolve, reject });
      this.#running ??= this.#drain();
    });
  }

  /** Resolves once everything queued so far is written. */
  async flush(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  #marks(batch: ClaimBatch): BatchMarks {
    let marks = this.#batches.get(batch);
    if (marks === undefined) {
      marks = { positions: [], waiters: [] };
      this.#batches.set(batch, marks);
    }
    return marks;
  }

  async #drain(): Promise<void> {
    // Let handlers that finish in the same tick join this batch.
    await Promise.resolve();
    try {
      while (this.#batches.size > 0 || this.#singles.size > 0) {
        const batches = this.#batches;
        const singles = this.#singles;
        this.#batches = new Map();
        this.#singles = new Map();
        const ids: string[] = [];
        const masks: string[] = [];
        const completing = new Set<ClaimBatch>();
        for (const [batch, marks] of batches) {
          ids.push(batch.id);
          // Every row of the batch finished: the batch row goes.
          if (batch.open === 0) completing.add(batch);
          masks.push(batch.open === 0 ? '' : batch.mask(marks.positions));
        }
        try {
          const result = await this.#db.query<{ batch: boolean; id: string }>(SETTLE_DONE, [
            this.#consumer,
            this.#workerId,
            ids,
            masks,
            [...singles.keys()],
          ]);
          const heldBatches = new Set<string>();
          const heldSingles = new Set<string>();
          for (const row of result.rows) (row.batch ? heldBatches : heldSingles).add(row.id);
          for (const [batch, marks] of batches) {
            const held = heldBatches.has(batch.id);
            if (!held || completing.has(batch)) {
              batch.live = false;
              this.#onBatchGone(batch);
            }
            for (const waiter of marks.waiters) waiter.resolve(held);
          }
          for (const [pk, waiters] of singles) {
            for (const waiter of waiters) waiter.resolve(heldSingles.has(pk));
          }
        } catch (error) {
          for (const marks of batches.values()) {
            for (const waiter of marks.waiters) waiter.reject(error);
          }
          for (const waiters of singles.values()) {
            for (const waiter of waiters) waiter.reject(error);
          }
        }
      }
    } finally {
      this.#running = undefined;
    }
  }
}
