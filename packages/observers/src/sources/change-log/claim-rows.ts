import type { ChangeLogRow, SqlClient } from '@fraiseql/core';
import { ObserverError } from '../../errors.js';
import { CLAIM_BATCH, RECLAIM, RECLAIM_BATCH } from './change-log-queries.js';

/** A change-log row as a claim round returns it. */
export interface ClaimedRow extends ChangeLogRow {
  readonly transaction_id: string;
}

/** A row claimed alone (a due retry, or a claim taken before batches existed). */
export interface SingleClaim {
  readonly row: ClaimedRow;
  readonly attempts: number;
}

/** A batch of rows claimed together, with the unfinished rows this round hands out. */
export interface BatchClaim {
  readonly id: string;
  /** Rows in the batch, finished or not. */
  readonly size: number;
  readonly attempts: number;
  /** Rows to deliver, each with its position in the batch, in log order. */
  readonly rows: readonly { readonly row: ClaimedRow; readonly position: number }[];
}

/** A consumer's position: every row at or before it has been claimed. */
export interface ClaimCursor {
  readonly transactionId: string;
  readonly pk: string;
}

/** What one claim round took. */
export interface ClaimedRound {
  /** Claims taken over from expired leases or due retries, oldest first. */
  readonly singles: readonly SingleClaim[];
  /** A batch taken over from an expired lease (if any), then the fresh batch (if any). */
  readonly batches: readonly BatchClaim[];
  /** Rows handed out in all. */
  readonly count: number;
  /** True when the fresh batch was limited by `limit` (more rows are probably waiting). */
  readonly full: boolean;
  /** Rows taken over from expired leases or due retries. */
  readonly reclaimed: number;
  /** True when a row (claimable or held back) follows the cursor after the round. */
  readonly beyond: boolean;
  /** The cursor after the round. */
  readonly cursor: ClaimCursor;
}

interface ClaimLine extends ClaimedRow {
  readonly registered: number;
  readonly batch: string | null;
  readonly beyond: boolean;
  readonly cursor_xid: string;
  readonly cursor_pk: string;
}

interface ReclaimedBatchLine extends ClaimedRow {
  readonly attempts: number | string;
  readonly batch: string;
  readonly size: number | string;
  readonly pos: number | string;
}

/**
 * Runs one claim round for `consumer`. With `reclaim`, first takes over claims whose lease
 * expired or whose retry delay is over (rows claimed alone, then one expired batch), each in
 * its own statement; then claims the next rows after the cursor below the horizon as one batch
 * and advances the cursor, in a single statement that locks the consumer's checkpoint row
 * (serialising fresh claims across workers for the length of that statement only).
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
): Promise<ClaimedRound> {
  const { consumer, workerId, leaseMs, limit } = options;
  const singles: SingleClaim[] = [];
  const batches: BatchClaim[] = [];
  let reclaimed = 0;
  if (options.reclaim) {
    const due = await db.query<ClaimedRow & { attempts: number | string }>(RECLAIM, [
      consumer,
      workerId,
      leaseMs,
      limit,
    ]);
    for (const row of due.rows) singles.push({ row, attempts: Number(row.attempts) });
    reclaimed += due.rows.length;
    if (reclaimed < limit) {
      const taken = await db.query<ReclaimedBatchLine>(RECLAIM_BATCH, [
        consumer,
        workerId,
        leaseMs,
      ]);
      const first = taken.rows[0];
      if (first !== undefined) {
        batches.push({
          id: first.batch,
          size: Number(first.size),
          attempts: Number(first.attempts),
          rows: taken.rows.map((row) => ({ row, position: Number(row.pos) })),
        });
        reclaimed += taken.rows.length;
      }
    }
  }
  const remaining = limit - reclaimed;
  if (remaining <= 0) {
    // Only reported to decide whether to claim again at once; the cursor is not needed.
    return {
      singles,
      batches,
      count: reclaimed,
      full: true,
      reclaimed,
      beyond: true,
      cursor: NO_CURSOR,
    };
  }
  const claimed = await db.query<ClaimLine>(CLAIM_BATCH, [consumer, remaining, workerId, leaseMs]);
  const head = claimed.rows[0];
  if (head?.registered !== 1) {
    throw new ObserverError(
      'SOURCE_FAILED',
      `change-log consumer ${JSON.stringify(consumer)} has no checkpoint row; was core.tb_observer_checkpoint emptied while the source ran?`,
    );
  }
  let fresh = 0;
  if (head.batch !== null) {
    const rows = claimed.rows;
    fresh = rows.length;
    const positioned = rows.map((row, position) => ({ row, position }));
    batches.push({ id: head.batch, size: fresh, attempts: 1, rows: positioned });
  }
  return {
    singles,
    batches,
    count: reclaimed + fresh,
    full: fresh === remaining,
    reclaimed,
    beyond: head.beyond,
    cursor: { transactionId: head.cursor_xid, pk: head.cursor_pk },
  };
}

const NO_CURSOR: ClaimCursor = { transactionId: '0', pk: '0' };
