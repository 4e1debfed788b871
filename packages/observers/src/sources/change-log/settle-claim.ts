import type { DeliveryOutcome, SqlClient } from '@fraiseql/core';
import { PARK, SETTLE_RETRY } from './change-log-queries.js';
import type { DoneBatcher } from './done-batcher.js';

/** Who settles: the consumer and the worker that must still hold the lease. */
export interface ClaimOwner {
  readonly consumer: string;
  readonly workerId: string;
}

/**
 * Writes a delivery outcome for one claimed row: `done` finishes the claim (batched), `retry`
 * hands it back after `delayMs`, `dead` moves the raw row to `core.tb_observer_parked`. Resolves
 * to false when the lease had already passed to another worker (nothing was written).
 */
export async function settleClaim(
  db: SqlClient,
  batcher: DoneBatcher,
  owner: ClaimOwner,
  pk: string,
  outcome: DeliveryOutcome,
): Promise<boolean> {
  switch (outcome.status) {
    case 'done':
      return batcher.finish(pk);
    case 'retry': {
      const result = await db.query(SETTLE_RETRY, [
        owner.consumer,
        owner.workerId,
        pk,
        Math.max(0, Math.round(outcome.delayMs ?? 0)),
        errorMessage(outcome.error),
      ]);
      return result.rowCount > 0;
    }
    case 'dead':
      return parkClaim(db, owner, pk, 'dead', errorMessage(outcome.error));
  }
}

/** Moves a claimed row aside with a reason; false when the lease had passed on. */
export async function parkClaim(
  db: SqlClient,
  owner: ClaimOwner,
  pk: string,
  kind: 'dead' | 'malformed',
  reason: string,
): Promise<boolean> {
  const result = await db.query(PARK, [owner.consumer, owner.workerId, pk, kind, reason]);
  return result.rowCount > 0;
}

/** A readable one-line message for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  const json = JSON.stringify(error) as unknown;
  return typeof json === 'string' ? json : String(error);
}
