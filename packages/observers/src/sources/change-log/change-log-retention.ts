import type { SqlClient } from '@fraiseql/core';
import { RETENTION_BOUND, RETENTION_DELETE } from './change-log-queries.js';

/** What one retention run removed. */
export interface RetentionResult {
  /** Change-log rows deleted. */
  readonly deleted: number;
  /** DELETE statements run (each removes at most `batchSize` rows). */
  readonly batches: number;
}

/** Options of {@link runChangeLogRetention}; durations in milliseconds. */
export interface RetentionRunOptions {
  readonly maxAgeMs: number;
  readonly batchSize: number;
  readonly maxBatchesPerRun: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Deletes change-log rows older than `maxAgeMs` that every registered consumer has passed and
 * finished: in log order, up to the furthest-behind cursor or the oldest row still claimed by
 * any consumer, `batchSize` rows per statement, until a statement deletes fewer than that,
 * `maxBatchesPerRun` is reached or `signal` aborts. With no consumer registered it deletes
 * nothing: a consumer that registers later must still find the rows.
 */
export async function runChangeLogRetention(
  db: SqlClient,
  options: RetentionRunOptions,
): Promise<RetentionResult> {
  const bound = await db.query<{ transaction_id: string; pk: string; inclusive: boolean }>(
    RETENTION_BOUND,
  );
  const limit = bound.rows[0];
  if (limit === undefined) return { deleted: 0, batches: 0 };
  let deleted = 0;
  let batches = 0;
  while (batches < options.maxBatchesPerRun && options.signal?.aborted !== true) {
    const result = await db.query(RETENTION_DELETE, [
      options.maxAgeMs,
      options.batchSize,
      limit.transaction_id,
      limit.pk,
      limit.inclusive,
    ]);
    batches += 1;
    deleted += result.rowCount;
    if (result.rowCount < options.batchSize) break;
  }
  return { deleted, batches };
}
