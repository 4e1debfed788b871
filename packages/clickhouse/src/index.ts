export {
  ClickHouseError,
  isClickHouseError,
  type ClickHouseErrorCode,
  type ClickHouseErrorOptions,
} from './errors.js';
export { classifyFailure, isTransient, type WireFailure } from './connection/classify-failure.js';
export type {
  ClickHouseConnection,
  ClickHouseSettings,
  InsertFormat,
  RoundTripOptions,
} from './connection/clickhouse-connection.js';
export { createHttpConnection, type HttpConnectionOptions } from './connection/http-connection.js';
export {
  clickHouseSinkConfigSchema,
  clickHouseSinkJsonSchema,
  parseClickHouseSinkConfig,
  type ClickHouseSinkConfig,
  type ClickHouseSinkConfigInput,
} from './config/clickhouse-sink-config.js';
export {
  noopClickHouseSinkMetrics,
  type ClickHouseSinkMetrics,
} from './metrics/clickhouse-sink-metrics.js';
export {
  capabilitiesOf,
  detectCapabilities,
  type ServerCapabilities,
} from './schema/server-capabilities.js';
export { AGGREGATES, eventTables, type EventTables } from './schema/event-tables.js';
export {
  EVENT_KIND_ENUM,
  eventMigrations,
  type ClickHouseMigration,
  type EventSchemaOptions,
} from './schema/event-migrations.js';
export { migrateEventSchema, type MigrateOptions, type MigrateResult } from './schema/migrate.js';
export {
  createClickHouseSink,
  type ClickHouseSink,
  type ClickHouseSinkOptions,
  type ConsumeChangeLogOptions,
  type SinkPipe,
} from './sink/clickhouse-sink.js';
export type { ChangeLogPipe } from './sink/change-log-pipe.js';
export type { ClickHouseSinkHealth } from './sink/sink-health.js';
export { RAW_COLUMNS, eventToRow, type SinkRow } from './sink/sink-row.js';
export type { ArrowData, ArrowRecordBatch, ArrowVector } from './arrow/arrow-types.js';
export { recordBatchRows } from './arrow/record-batch-rows.js';
export {
  backfillFromChangeLog,
  type BackfillOptions,
  type BackfillProgress,
} from './backfill/backfill.js';
export {
  createClickHouseAnalytics,
  type ClickHouseAnalytics,
  type ClickHouseAnalyticsOptions,
} from './analytics/clickhouse-analytics.js';
export {
  eventTimeSeries,
  type EventTimeSeriesQuery,
  type SeriesDimension,
  type SeriesPoint,
} from './analytics/event-time-series.js';
export {
  topEntities,
  uniqueEntities,
  type EntityActivity,
  type TopEntitiesQuery,
  type UniqueEntitiesPoint,
  type UniqueEntitiesQuery,
} from './analytics/entity-analytics.js';
export {
  activeTenants,
  payloadStats,
  type ActiveTenantsQuery,
  type PayloadStats,
  type PayloadStatsQuery,
  type TenantActivity,
} from './analytics/tenant-analytics.js';
export type { TimeRange } from './analytics/time-range.js';
export {
  CLICKHOUSE_ANALYTICS_KINDS,
  runClickHouseAnalyticsRequest,
  type AnalyticsRequestParams,
  type ClickHouseAnalyticsKind,
} from './analytics/analytics-request.js';
