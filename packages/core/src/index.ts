export {
  FraiseQLError,
  isFraiseQLError,
  type FraiseQLErrorOptions,
} from './errors/fraiseql-error.js';
export { CoreError, isCoreError, type CoreErrorCode } from './errors/core-error.js';
export { parseDuration, type DurationInput } from './time/duration.js';
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
export type {
  Delivery,
  DeliveryOutcome,
  EventSource,
  EventSourceBacklog,
  EventSourceStartOptions,
} from './streams/event-source.js';
export type { EventSink } from './streams/event-sink.js';
export {
  isPlainIdentifier,
  quoteIdent,
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
export { connectDatabase, redactUrl, type ConnectDatabaseOptions } from './db/connect.js';
