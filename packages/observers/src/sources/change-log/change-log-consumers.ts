import type { SqlClient } from '@fraiseql/core';

/** Where one change-log consumer stands, read from the database. */
export interface ChangeLogConsumerStatus {
  readonly consumer: string;
  /** Sequence of the last row the consumer claimed (its cursor). */
  readonly cursorSeq: bigint;
  /** Rows after the cursor that no instance of this consumer has claimed yet (capped). */
  readonly unclaimed: number;
  /** Rows claimed and not finished yet (running, waiting for a retry, or held by a dead instance). */
  readonly inFlight: number;
  /** Age of the oldest unfinished row, in seconds; undefined when the consumer is caught up. */
  readonly oldestPendingSeconds: number | undefined;
  /** When the cursor last moved. */
  readonly updatedAt: Date;
}

interface Row {
  consumer: string;
  cursor_pk: string;
  unclaimed: string;
  in_flight: string;
  oldest: number | string | null;
  updated_at: Date | string;
}

// The same ordering as the claim path: rows after (cursor transaction, cursor sequence).
const STATUS = `
SELECT c.consumer, c.cursor_pk::text AS cursor_pk, c.updated_at,
  (SELECT count(*) FROM (
     SELECT 1 FROM core.tb_entity_change_log l
     WHERE (l.transaction_id, l.pk_entity_change_log) > (c.cursor_transaction_id, c.cursor_pk)
     LIMIT $1) beyond)::text AS unclaimed,
  (SELECT count(*) FROM core.v_observer_claim k WHERE k.consumer = c.consumer)::text AS in_flight,
  extract(epoch FROM clock_timestamp() - LEAST(
    (SELECT min(l.created_at) FROM core.v_observer_claim k
       JOIN core.tb_entity_change_log l ON l.pk_entity_change_log = k.pk_entity_change_log
     WHERE k.consumer = c.consumer),
    (SELECT l.created_at FROM core.tb_entity_change_log l
     WHERE (l.transaction_id, l.pk_entity_change_log) > (c.cursor_transaction_id, c.cursor_pk)
     ORDER BY l.transaction_id, l.pk_entity_change_log LIMIT 1)))::float8 AS oldest
FROM core.tb_observer_checkpoint c
ORDER BY c.consumer`;

/**
 * The progress of every change-log consumer that has ever started (from
 * `core.tb_observer_checkpoint` and the claims in `core.v_observer_claim`), for status pages and the CLI:
 * works without a running source.
 *
 * @param countCap Most unclaimed rows counted per consumer. @defaultValue 1_000_000
 */
export async function listChangeLogConsumers(
  db: SqlClient,
  countCap = 1_000_000,
): Promise<ChangeLogConsumerStatus[]> {
  const result = await db.query<Row>(STATUS, [countCap]);
  return result.rows.map((row) => ({
    consumer: row.consumer,
    cursorSeq: BigInt(row.cursor_pk),
    unclaimed: Number(row.unclaimed),
    inFlight: Number(row.in_flight),
    oldestPendingSeconds: row.oldest === null ? undefined : Number(row.oldest),
    updatedAt: new Date(row.updated_at),
  }));
}
