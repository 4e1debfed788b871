import type { ServiceHealth } from '@fraiseql/core';

/**
 * What the ClickHouse sink reports; `@fraiseql/metrics` implements it structurally with the
 * `fraiseql_clickhouse_*` Prometheus metrics. Every method must be cheap and never throw.
 */
export interface ClickHouseSinkMetrics {
  /** A batch was accepted by ClickHouse (`…_rows_inserted_total`, `…_bytes_inserted_total`, `…_batch_rows`, `…_flush_duration_seconds`). */
  batchInserted(table: string, rows: number, bytes: number, durationSeconds: number): void;
  /** An insert attempt failed (`…_insert_failures_total{error_type}`). */
  insertFailed(table: string, errorType: string): void;
  /** A failed insert will be tried again (`…_insert_retries_total`). */
  insertRetried(table: string): void;
  /** Rows already stored were skipped on a re-send (`…_duplicate_rows_skipped_total`). */
  duplicatesSkipped(table: string, rows: number): void;
  /** Rows went to the dead-letter table (`…_dead_lettered_rows_total{reason}`). */
  rowsDeadLettered(table: string, reason: 'encode' | 'rejected', rows: number): void;
  /** The sink waited for merges before inserting (`…_parts_backpressure_waits_total`, `…_parts_backpressure_seconds_total`). */
  partsBackpressure(table: string, waitedSeconds: number): void;
  /** Rows and bytes buffered and not yet accepted (`…_buffered_rows`, `…_buffered_bytes`). */
  buffered(table: string, rows: number, bytes: number): void;
  /** The sink's connection changed state (`fraiseql_service_up{kind="clickhouse"}` and friends). */
  serviceState(health: ServiceHealth): void;
}

const noop = (): void => undefined;

/** The default {@link ClickHouseSinkMetrics}: records nothing. */
export const noopClickHouseSinkMetrics: ClickHouseSinkMetrics = Object.freeze({
  batchInserted: noop,
  insertFailed: noop,
  insertRetried: noop,
  duplicatesSkipped: noop,
  rowsDeadLettered: noop,
  partsBackpressure: noop,
  buffered: noop,
  serviceState: noop,
});
