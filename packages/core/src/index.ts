export {
  FraiseQLError,
  isFraiseQLError,
  type FraiseQLErrorOptions,
} from './errors/fraiseql-error.js';
export { CoreError, isCoreError, type CoreErrorCode } from './errors/core-error.js';
export { parseDuration, type DurationInput } from './time/duration.js';
export { durationParam, integerParam, timeParam } from './time/request-params.js';
export { silentLogger, type Logger, type LogFields } from './logging/logger.js';
export {
  EVENT_TYPES,
  type EntityEvent,
  type EntityEventJson,
  type EventMetadata,
  type EventType,
  type FieldChange,
  type JsonObject,
  type JsonValue,
} from './events/entity-event.js';
export { eventFromJson, eventToJson, serializeEvent } from './events/event-json.js';
export {
  createAdminAuth,
  type AdminAuth,
  type AdminAuthOptions,
  type AdminAuthResult,
  type AdminCheckOptions,
  type AdminPrincipal,
} from './admin/admin-auth.js';
export {
  findAdminToken,
  generateAdminToken,
  loadOrCreateAdminToken,
  MIN_ADMIN_TOKEN_LENGTH,
  type AdminRole,
  type AdminToken,
} from './admin/admin-token.js';
export { jsonEqual } from './json/json-equal.js';
export { stringifyJson } from './json/stringify-json.js';
export type {
  Delivery,
  DeliveryOutcome,
  EventSource,
  EventSourceBacklog,
  EventSourceStartOptions,
} from './streams/event-source.js';
export type { EventSink } from './streams/event-sink.js';
export {
  createEventSinkConsumer,
  type EventSinkConsumer,
  type EventSinkConsumerOptions,
  type EventSinkConsumerStats,
} from './streams/event-sink-consumer.js';
export type {
  ServiceHealth,
  ServiceHealthReporter,
  ServiceKind,
  ServiceState,
} from './health/service-health.js';
export {
  ServiceHealthTracker,
  type ServiceHealthTrackerOptions,
} from './health/service-health-tracker.js';
export {
  isPlainIdentifier,
  quoteIdent,
  type ListenOptions,
  type QueryResult,
  type SqlClient,
  type SqlRow,
} from './db/sql-client.js';
export {
  pgClient,
  type PgClientOptions,
  type PgConnectionLike,
  type PgPoolLike,
} from './db/pg-client.js';
export {
  pgliteClient,
  type PGliteClientOptions,
  type PGliteLike,
  type PGliteTransactionLike,
} from './db/pglite-client.js';
export { isConnectionLoss } from './db/pg-connection-loss.js';
export {
  isSecretField,
  isSecretPath,
  REDACTED,
  redactSecrets,
  redactValue,
} from './logging/redact.js';
export { connectDatabase, redactUrl, type ConnectDatabaseOptions } from './db/connect.js';
export type { CursorOptions } from './db/query-cursor.js';
export { isCopyRefused, type CopyOutOptions } from './db/query-copy.js';
export {
  createMigration,
  defineMigrationSet,
  isTransactional,
  migrationChecksum,
  NO_TRANSACTION_MARKER,
  type Migration,
  type MigrationSet,
} from './migrations/migration.js';
export { loadMigrationsFromDirectory } from './migrations/load-migrations-from-directory.js';
export { coreMigrations } from './migrations/core-migrations.js';
export {
  migrate,
  type MigrateOptions,
  type MigrationReport,
  type NamespaceMigrationReport,
} from './migrations/migrate.js';
export {
  MIGRATION_LEDGER_TABLE,
  type LedgerEntry,
  type MigrationStatus,
} from './migrations/migration-ledger.js';
export { resolveMigration, type ResolveMigrationOptions } from './migrations/resolve-migration.js';
export {
  CAPTURE_TRIGGERS,
  installCapture,
  uninstallCapture,
  type CaptureChange,
  type CaptureOptions,
} from './capture/install-capture.js';
export { listCaptures, type CapturedTable } from './capture/list-captures.js';
export { refreshCapture, type RefreshCaptureOptions } from './capture/refresh-capture.js';
export {
  CHANGE_LOG_CHANNEL,
  CHANGE_LOG_COLUMNS,
  CHANGE_LOG_TABLE,
  changeLogColumns,
} from './change-log/change-log-table.js';
export { CHANGE_LOG_HORIZON } from './change-log/change-log-horizon.js';
export {
  readChangeLogPage,
  type ChangeLogPage,
  type ChangeLogPageOptions,
  type ChangeLogPosition,
} from './change-log/read-change-log-page.js';
export {
  createChangeLogReader,
  type ChangeLogReader,
  type ChangeLogReaderOptions,
  type ChangeLogReaderPage,
  type ChangeLogReaderTextPage,
  type MalformedChangeLogRow,
} from './change-log/change-log-reader.js';
export {
  listChangeLogReaders,
  type ChangeLogReaderStatus,
} from './change-log/change-log-readers.js';
export {
  readChangeLogText,
  type ChangeLogTextOptions,
  type ChangeLogTextPage,
  type ChangeLogTextSelect,
} from './change-log/read-change-log-text.js';
export type { ChangeLogRow, DriverInteger } from './change-log/change-log-row.js';
export { changeLogRowToEvent, isDeliverableRow } from './change-log/change-log-row-to-event.js';
export {
  countChangeLogRange,
  readChangeLogEvent,
  readChangeLogRange,
  type ChangeLogRange,
} from './change-log/read-change-log.js';
