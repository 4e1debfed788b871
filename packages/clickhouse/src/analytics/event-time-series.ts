import type { ClickHouseConnection } from '../connection/clickhouse-connection.js';
import { ClickHouseError } from '../errors.js';
import type { EventTables } from '../schema/event-tables.js';
import { equalsFilters, rangeLiterals, type TimeRange } from './time-range.js';

/** A dimension a time series can be split by. */
export type SeriesDimension = 'event_type' | 'entity_type' | 'tenant_id';

/** Query of {@link eventTimeSeries}. */
export interface EventTimeSeriesQuery extends TimeRange {
  /** Bucket size in seconds, a multiple of 60. @defaultValue 60 */
  readonly bucketSeconds?: number;
  /** Split each bucket by this dimension. @defaultValue none */
  readonly by?: SeriesDimension | undefined;
  readonly entityType?: string | undefined;
  readonly eventType?: string | undefined;
  readonly tenantId?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** One point of a series. */
export interface SeriesPoint {
  /** Start of the bucket. */
  readonly bucket: Date;
  /** Value of the `by` dimension; `undefined` without `by`. */
  readonly key: string | undefined;
  readonly events: number;
}

/**
 * Events per bucket from the per-minute (or, for whole hours, per-hour) aggregate: sums the
 * `SummingMergeTree` rows at read time, since parts are merged eventually, not at insert.
 *
 * @throws {ClickHouseError} `INVALID_ARGUMENT` for a bad range, bucket or dimension
 */
export async function eventTimeSeries(
  connection: ClickHouseConnection,
  tables: EventTables,
  query: EventTimeSeriesQuery,
): Promise<SeriesPoint[]> {
  const seconds = query.bucketSeconds ?? 60;
  if (!Number.isInteger(seconds) || seconds < 60 || seconds % 60 !== 0 || seconds > 366 * 86_400) {
    throw new ClickHouseError(
      'INVALID_ARGUMENT',
      `timeSeries.bucketSeconds: expected a whole number of minutes (60, 300, 3600, …), got ${String(seconds)}`,
    );
  }
  const by = query.by;
  if (by !== undefined && !['event_type', 'entity_type', 'tenant_id'].includes(by)) {
    throw new ClickHouseError(
      'INVALID_ARGUMENT',
      `timeSeries.by: expected event_type, entity_type or tenant_id, got ${JSON.stringify(by)}`,
    );
  }
  const { from, to } = rangeLiterals(query, 'timeSeries');
  const hourly = seconds % 3600 === 0;
  const table = hourly ? tables.perHour : tables.perMinute;
  const time = hourly ? 'hour' : 'minute';
  const key = by === undefined ? '' : `, toString(${by}) AS key`;
  const rows = await connection.query<{
    bucket: number | string;
    key?: string;
    events: string | number;
  }>(
    `SELECT intDiv(toUInt32(${time}), ${String(seconds)}) * ${String(seconds)} AS bucket${key}, sum(events) AS events
FROM ${table}
WHERE ${time} >= ${from} AND ${time} < ${to}${equalsFilters({
      entity_type: query.entityType,
      event_type: query.eventType,
      tenant_id: query.tenantId,
    })}
GROUP BY bucket${by === undefined ? '' : ', key'}
ORDER BY bucket${by === undefined ? '' : ', key'}`,
    { signal: query.signal },
  );
  return rows.map((row) => ({
    bucket: new Date(Number(row.bucket) * 1000),
    key: row.key,
    events: Number(row.events),
  }));
}
