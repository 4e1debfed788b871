import { silentLogger, type Logger } from '@fraiseql/core';
import type { ClickHouseConnection } from '../connection/clickhouse-connection.js';
import { createHttpConnection } from '../connection/http-connection.js';
import { ClickHouseError } from '../errors.js';
import { eventTables, type EventTables } from '../schema/event-tables.js';
import {
  topEntities,
  uniqueEntities,
  type EntityActivity,
  type TopEntitiesQuery,
  type UniqueEntitiesPoint,
  type UniqueEntitiesQuery,
} from './entity-analytics.js';
import {
  eventTimeSeries,
  type EventTimeSeriesQuery,
  type SeriesPoint,
} from './event-time-series.js';
import {
  activeTenants,
  payloadStats,
  type ActiveTenantsQuery,
  type PayloadStats,
  type PayloadStatsQuery,
  type TenantActivity,
} from './tenant-analytics.js';

/** Options of {@link createClickHouseAnalytics}. */
export interface ClickHouseAnalyticsOptions {
  /** Server URL; or pass `connection`. @defaultValue `CLICKHOUSE_URL` */
  readonly url?: string | undefined;
  readonly connection?: ClickHouseConnection | undefined;
  /** @defaultValue `'default'` */
  readonly database?: string | undefined;
  /** The sink's raw table name (the aggregate tables take it as a prefix). @defaultValue `'fraiseql_events'` */
  readonly table?: string | undefined;
  readonly logger?: Logger | undefined;
}

/** Typed reads of the sink's aggregate tables. */
export interface ClickHouseAnalytics extends AsyncDisposable {
  readonly tables: EventTables;
  timeSeries(query: EventTimeSeriesQuery): Promise<SeriesPoint[]>;
  topEntities(query: TopEntitiesQuery): Promise<EntityActivity[]>;
  uniqueEntities(query: UniqueEntitiesQuery): Promise<UniqueEntitiesPoint[]>;
  activeTenants(query: ActiveTenantsQuery): Promise<TenantActivity[]>;
  payloadStats(query: PayloadStatsQuery): Promise<PayloadStats[]>;
  /** Closes the connection when this object opened it. */
  close(): Promise<void>;
}

/**
 * The analytics queries over the tables a ClickHouse sink writes.
 *
 * @throws {ClickHouseError} `INVALID_ARGUMENT` without a URL or connection, or for bad names
 */
export function createClickHouseAnalytics(
  options: ClickHouseAnalyticsOptions,
): ClickHouseAnalytics {
  const tables = eventTables(options.database ?? 'default', options.table ?? 'fraiseql_events');
  const url = options.url ?? process.env.CLICKHOUSE_URL;
  if (options.connection === undefined && (url === undefined || url === '')) {
    throw new ClickHouseError(
      'INVALID_ARGUMENT',
      'clickhouse analytics: pass `url` or `connection`, or set CLICKHOUSE_URL',
    );
  }
  const connection =
    options.connection ??
    createHttpConnection({ url: url ?? '', logger: options.logger ?? silentLogger });
  const close = async (): Promise<void> => {
    if (options.connection === undefined) await connection.close();
  };
  return {
    tables,
    timeSeries: (query) => eventTimeSeries(connection, tables, query),
    topEntities: (query) => topEntities(connection, tables, query),
    uniqueEntities: (query) => uniqueEntities(connection, tables, query),
    activeTenants: (query) => activeTenants(connection, tables, query),
    payloadStats: (query) => payloadStats(connection, tables, query),
    close,
    [Symbol.asyncDispose]: close,
  };
}
