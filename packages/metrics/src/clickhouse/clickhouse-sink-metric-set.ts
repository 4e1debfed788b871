import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { registerMetrics } from '../registry/register-metrics.js';

/** Buckets of rows per inserted batch. */
export const BATCH_ROWS_BUCKETS = [1, 10, 100, 500, 1000, 5000, 10_000, 50_000, 100_000] as const;
/** Buckets of insert durations in seconds. */
export const FLUSH_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** The Prometheus collectors behind the ClickHouse sink. */
export interface ClickHouseSinkMetricSet {
  readonly rowsInserted: Counter<'table'>;
  readonly bytesInserted: Counter<'table'>;
  readonly batchRows: Histogram<'table'>;
  readonly flushDuration: Histogram<'table'>;
  readonly insertFailures: Counter<'table' | 'error_type'>;
  readonly insertRetries: Counter<'table'>;
  readonly duplicatesSkipped: Counter<'table'>;
  readonly deadLettered: Counter<'table' | 'reason'>;
  readonly partsWaits: Counter<'table'>;
  readonly partsWaitSeconds: Counter<'table'>;
  readonly bufferedRows: Gauge<'table'>;
  readonly bufferedBytes: Gauge<'table'>;
}

const P = 'fraiseql_clickhouse_';

/** Defines (once per registry) the `fraiseql_clickhouse_*` metrics of the ClickHouse sink. */
export function clickHouseSinkMetricSet(registry: Registry): ClickHouseSinkMetricSet {
  return registerMetrics(registry, 'clickhouse', (registers) => ({
    rowsInserted: new Counter({
      name: `${P}rows_inserted_total`,
      help: 'Rows ClickHouse accepted into the raw events table.',
      labelNames: ['table'],
      registers,
    }),
    bytesInserted: new Counter({
      name: `${P}bytes_inserted_total`,
      help: 'Bytes of encoded rows (the insert request body) ClickHouse accepted into the raw events table.',
      labelNames: ['table'],
      registers,
    }),
    batchRows: new Histogram({
      name: `${P}batch_rows`,
      help: 'Rows per accepted insert.',
      labelNames: ['table'],
      buckets: [...BATCH_ROWS_BUCKETS],
      registers,
    }),
    flushDuration: new Histogram({
      name: `${P}flush_duration_seconds`,
      help: 'Time from the start of a batch insert (retries included) to its acceptance.',
      labelNames: ['table'],
      buckets: [...FLUSH_DURATION_BUCKETS],
      registers,
    }),
    insertFailures: new Counter({
      name: `${P}insert_failures_total`,
      help: 'Failed insert attempts, by error type (UNAVAILABLE, REJECTED, MALFORMED_ROWS).',
      labelNames: ['table', 'error_type'],
      registers,
    }),
    insertRetries: new Counter({
      name: `${P}insert_retries_total`,
      help: 'Insert attempts scheduled again after a transient failure.',
      labelNames: ['table'],
      registers,
    }),
    duplicatesSkipped: new Counter({
      name: `${P}duplicate_rows_skipped_total`,
      help: 'Rows of a re-sent batch skipped because their event was already stored.',
      labelNames: ['table'],
      registers,
    }),
    deadLettered: new Counter({
      name: `${P}dead_lettered_rows_total`,
      help: 'Rows written to the dead-letter table, by reason (encode: refused before sending; rejected: refused by ClickHouse).',
      labelNames: ['table', 'reason'],
      registers,
    }),
    partsWaits: new Counter({
      name: `${P}parts_backpressure_waits_total`,
      help: 'Times the sink waited for merges because the raw table had too many active parts.',
      labelNames: ['table'],
      registers,
    }),
    partsWaitSeconds: new Counter({
      name: `${P}parts_backpressure_seconds_total`,
      help: 'Seconds spent waiting for merges before inserting.',
      labelNames: ['table'],
      registers,
    }),
    bufferedRows: new Gauge({
      name: `${P}buffered_rows`,
      help: 'Rows buffered and not yet accepted by ClickHouse.',
      labelNames: ['table'],
      registers,
    }),
    bufferedBytes: new Gauge({
      name: `${P}buffered_bytes`,
      help: 'Encoded bytes buffered and not yet accepted by ClickHouse.',
      labelNames: ['table'],
      registers,
    }),
  }));
}
