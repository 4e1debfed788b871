import type { ChangeLogRow, SqlClient } from '@fraiseql/core';
import { ObserverError } from '../../errors.js';
import { CLAIM_FRESH, LOCK_CHECKPOINT, RECLAIM } from './change-log-queries.js';

/** A change-log row as a claim round returns it, with the claim's attempt count. */
export interface ClaimedRow extends ChangeLogRow {
  readonly transaction_id: string;
  readonly attempts: number | string;
}

/** A consumer's position: every row at or before it has been claimed. */
export interface ClaimCursor {
  readonly transactionId: string;
  readonly pk: string;
}

/** What one claim round took. */
export interface ClaimedBatch {
  /** Taken-over claims (expired leases, due retries) first, then new rows, in log order. */
  readonly rows: readonly ClaimedRow[];
  /** True when the round was limited by `limit` (more rows are probably waiting). */
  readonly full: boolean;
  /** Claims taken over from expired leases or due retries. */
  readonly reclaimed: number;
  /** The cursor after the round. */
  readonly cursor: ClaimCursor;
}

/**
 * Runs one claim round for `consumer` in one short transaction: locks the consumer's checkpoint
 * row (serialising rounds across workers), takes over claims whose lease expired or whose retry
 * delay is over (when `reclaim` is set), then claims new rows after the cursor below the
 * horizon and advances it.
 *
 * @throws {ObserverError} `SOURCE_FAILED` when the consumer has no checkpoint row.
 */
export async function claimRows(
  db: SqlClient,
  options: {
    readonly consumer: string;
    readonly workerId: string;
    readonly leaseMs: number;
    readonly limit: number;
    /** Look for expired leases and due retries too (skipped on most rounds: see the source). */
    readonly reclaim: boolean;
  },
): Promise<ClaimedBatch> {
  const { consumer, workerId, leaseMs, limit } = options;
  return db.transaction(async (tx) => {
    const locked = await tx.query<{ cursor_transaction_id: string; cursor_pk: string }>(
      LOCK_CHECKPOINT,
      [consumer],
    );
    const checkpoint = locked.rows[0];
    if (checkpoint === undefined) {
      throw new ObserverError(
        'SOURCE_FAILED',
        `change-log consumer ${JSON.stringify(consumer)} has no checkpoint row; was core.tb_observer_checkpoint emptied while the source ran?`,
      );
    }
    const reclaimed = options.reclaim
      ? await tx.query<ClaimedRow>(RECLAIM, [consumer, workerId, leaseMs, limit])
      : { rows: [] as ClaimedRow[] };
    const remaining = limit - reclaimed.rows.length;
    const fresh =
      remaining > 0
        ? await tx.query<ClaimedRow>(CLAIM_FRESH, [
            consumer,
            checkpoint.cursor_transaction_id,
            checkpoint.cursor_pk,
            remaining,
            workerId,
            leaseMs,
          ])
        : { rows: [] as ClaimedRow[] };
    const last = fresh.rows.at(-1);
    return {
      rows: [...reclaimed.rows, ...fresh.rows],
      full: fresh.rows.length === remaining,
      reclaimed: reclaimed.rows.length,
      cursor:
        last === undefined
          ? { transactionId: checkpoint.cursor_transaction_id, pk: checkpoint.cursor_pk }
          : { transactionId: last.transaction_id, pk: String(last.pk_entity_change_log) },
    };
  });
}
