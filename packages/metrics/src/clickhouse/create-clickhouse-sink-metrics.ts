import type { ServiceHealth } from '@fraiseql/core';
import type { Registry } from 'prom-client';
import { LabelLimiter } from '../registry/label-limiter.js';
import { createServiceMetrics } from '../services/create-service-metrics.js';
import { clickHouseSinkMetricSet } from './clickhouse-sink-metric-set.js';

/**
 * What the ClickHouse sink reports, declared here so this package does not depend on it: the
 * `ClickHouseSinkMetrics` seam of `@fraiseql/clickhouse` has this shape.
 */
export interface ClickHouseSinkMetricsReporter {
  batchInserted(table: string, rows: number, bytes: number, durationSeconds: number): void;
  insertFailed(table: string, errorType: string): void;
  insertRetried(table: string): void;
  duplicatesSkipped(table: string, rows: number): void;
  rowsDeadLettered(table: string, reason: 'encode' | 'rejected', rows: number): void;
  partsBackpressure(table: string, waitedSeconds: number): void;
  buffered(table: string, rows: number, bytes: number): void;
  serviceState(health: ServiceHealth): void;
}

/** Options of {@link createClickHouseSinkMetrics}. */
export interface ClickHouseSinkMetricsOptions {
  /** Most distinct values kept per label; later new values are reported as `other`. @defaultValue `100` */
  readonly maxLabelValues?: number | undefined;
}

/**
 * Implements the ClickHouse sink's metrics seam on `registry`: the `fraiseql_clickhouse_*`
 * metrics, and the connection state as `fraiseql_service_*{kind="clickhouse"}`.
 */
export function createClickHouseSinkMetrics(
  registry: Registry,
  options: ClickHouseSinkMetricsOptions = {},
): ClickHouseSinkMetricsReporter {
  const m = clickHouseSinkMetricSet(registry);
  const services = createServiceMetrics(registry, options);
  const max = options.maxLabelValues ?? 100;
  const tables = new LabelLimiter(max);
  const errorTypes = new LabelLimiter(max);
  return {
    batchInserted(table, rows, bytes, durationSeconds) {
      const labels = { table: tables.value(table) };
      m.rowsInserted.inc(labels, rows);
      m.bytesInserted.inc(labels, bytes);
      m.batchRows.observe(labels, rows);
      m.flushDuration.observe(labels, durationSeconds);
    },
    insertFailed(table, errorType) {
      m.insertFailures.inc({ table: tables.value(table), error_type: errorTypes.value(errorType) });
    },
    insertRetried(table) {
      m.insertRetries.inc({ table: tables.value(table) });
    },
    duplicatesSkipped(table, rows) {
      m.duplicatesSkipped.inc({ table: tables.value(table) }, rows);
    },
    rowsDeadLettered(table, reason, rows) {
      m.deadLettered.inc({ table: tables.value(table), reason }, rows);
    },
    partsBackpressure(table, waitedSeconds) {
      const labels = { table: tables.value(table) };
      m.partsWaits.inc(labels);
      m.partsWaitSeconds.inc(labels, waitedSeconds);
    },
    buffered(table, rows, bytes) {
      const labels = { table: tables.value(table) };
      m.bufferedRows.set(labels, rows);
      m.bufferedBytes.set(labels, bytes);
    },
    serviceState(health) {
      services.serviceState(health);
    },
  };
}
