import type { DeliveryOutcome, SqlClient } from '@fraiseql/core';
import type { ClaimTarget } from './claim-batch.js';
import { PARK, PARK_BATCH, SETTLE_RETRY, SETTLE_RETRY_BATCH } from './change-log-queries.js';
import type { DoneBatcher } from './done-batcher.js';

/** Who settles: the consumer and the worker that must still hold the lease. */
export interface ClaimOwner {
  readonly consumer: string;
  readonly workerId: string;
}

/**
 * Writes a delivery outcome for one claimed row: `done` finishes the claim (batched), `retry`
 * hands it back after `delayMs` (a row of a batch becomes a claim of its own), `dead` moves the
 * raw row to `core.tb_observer_parked`. Resolves to false when the lease had already passed to
 * another worker (nothing was written).
 */
export async function settleClaim(
  db: SqlClient,
  batcher: DoneBatcher,
  owner: ClaimOwner,
  target: ClaimTarget,
  attempt: number,
  outcome: DeliveryOutcome,
): Promise<boolean> {
  switch (outcome.status) {
    case 'done':
      return batcher.finish(target);
    case 'retry': {
      const delayMs = Math.max(0, Math.round(outcome.delayMs ?? 0));
      const error = errorMessage(outcome.error);
      if (target.batch === undefined) {
        const result = await db.query(SETTLE_RETRY, [
          owner.consumer,
          owner.workerId,
          target.pk,
          delayMs,
          error,
        ]);
        return result.rowCount > 0;
      }
      const result = await db.query(SETTLE_RETRY_BATCH, [
        owner.consumer,
        owner.workerId,
        target.pk,
        delayMs,
        error,
        target.batch.id,
        target.position,
        attempt,
      ]);
      return leftBatch(batcher, target, result.rowCount > 0);
    }
    case 'dead':
      return parkClaim(db, batcher, owner, target, attempt, 'dead', errorMessage(outcome.error));
  }
}

/** Moves a claimed row aside with a reason; false when the lease had passed on. */
export async function parkClaim(
  db: SqlClient,
  batcher: DoneBatcher,
  owner: ClaimOwner,
  target: ClaimTarget,
  attempt: number,
  kind: 'dead' | 'malformed',
  reason: string,
): Promise<boolean> {
  if (target.batch === undefined) {
    const result = await db.query(PARK, [owner.consumer, owner.workerId, target.pk, kind, reason]);
    return result.rowCount > 0;
  }
  const result = await db.query(PARK_BATCH, [
    owner.consumer,
    owner.workerId,
    target.pk,
    kind,
    reason,
    target.batch.id,
    target.position,
    attempt,
  ]);
  return leftBatch(batcher, target, result.rowCount > 0);
}

/** A row left its batch through its own statement: the batch goes once none is left. */
async function leftBatch(
  batcher: DoneBatcher,
  target: ClaimTarget,
  held: boolean,
): Promise<boolean> {
  const batch = target.batch;
  if (batch === undefined || !held) return held;
  batch.finish(target.position);
  if (batch.open === 0) {
    // Deleting the finished batch is bookkeeping: this row's outcome is already stored.
    await batcher.complete(batch);
  }
  return true;
}

/** A readable one-line message for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  const json = JSON.stringify(error) as unknown;
  return typeof json === 'string' ? json : String(error);
}
