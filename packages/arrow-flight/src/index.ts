export { FlightError, isFlightError, type FlightErrorCode } from './errors.js';
export {
  startFlightServer,
  type FlightServer,
  type FlightServerOptions,
} from './server/flight-server.js';
export {
  flightServerJsonSchema,
  flightServerOptionsSchema,
  parseFlightServerOptions,
  type FlightServerConfig,
  type FlightServerConfigInput,
} from './server/flight-server-options.js';
export type { FlightHealth } from './server/rpc-handlers.js';
export { ARROW_STREAM_CONTENT_TYPE, type IpcStreamOptions } from './server/ipc-stream.js';
export { jsonCommandDecoder, type CommandDecoder } from './server/descriptor-router.js';
export type {
  BatchLimits,
  FlightListing,
  FlightStream,
  StreamBatch,
  StreamContext,
  StreamHandler,
} from './datasets/flight-stream.js';
export { ANONYMOUS, hasAnyRole, type Principal } from './auth/principal.js';
export {
  createAuthenticator,
  type Authenticated,
  type Authenticator,
  type AuthenticatorOptions,
  type FlightApiKey,
  type FlightUser,
} from './auth/authenticator.js';
export {
  createTicketSigner,
  type TicketSigner,
  type TicketSignerOptions,
} from './tickets/ticket-signer.js';
export type { TicketClaims, TicketKind } from './tickets/ticket.js';
export { noopFlightMetrics, type FlightMetrics } from './metrics/flight-metrics.js';
export {
  decodeFlightData,
  encodeFlightData,
  type FlightDataParts,
  type FlightDataView,
} from './protocol/flight-data.js';
export { flightServiceDefinition } from './protocol/flight-service-definition.js';
export { encapsulatedSchema, IpcEncoder, type IpcMessage } from './ipc/ipc-encoder.js';
export {
  FlightClient,
  type CallOptionsWithSignal,
  type FlightClientOptions,
  type FlightEndpointInfo,
  type FlightInfoResult,
} from './client/flight-client.js';
export { commandDescriptor, pathDescriptor } from './client/descriptors.js';
export { decodeFlightStream, decodeSchema, type ReceivedBatch } from './ipc/ipc-decoder.js';
export {
  createViewHandler,
  type ViewGrant,
  type ViewHandlerOptions,
  type ViewRequest,
} from './datasets/view-handler.js';
export {
  createTableHandler,
  type TableHandler,
  type TableRequest,
} from './datasets/table-handler.js';
export { mapPgColumn, type ColumnMapping, type PgColumn } from './arrow/pg-type-map.js';
export type { ColumnKind } from './arrow/column-builder.js';
export { FILTER_OPERATORS, type Filter, type FilterOperator } from './sql/filter.js';
export {
  createGraphqlHandler,
  type GraphqlHandlerOptions,
  type GraphqlQueryGrant,
  type GraphqlRequest,
} from './datasets/graphql-handler.js';
export {
  buildFlightGraphqlSchema,
  fraiseqlSchemaDocumentSchema,
  type FlightGraphqlSchema,
  type FraiseqlSchemaDocument,
} from './graphql/fraiseql-schema.js';
export {
  createExportHandler,
  type ExportGrant,
  type ExportHandlerOptions,
  type ExportRequest,
} from './datasets/export-handler.js';
export {
  createEventsHandler,
  EVENT_COLUMNS,
  type EventsHandlerOptions,
} from './events/events-handler.js';
export {
  eventsRequestSchema,
  parseEventsRequest,
  type EventsRequest,
  type EventsRequestInput,
} from './events/events-request.js';
export {
  decodeEventMetadata,
  formatEventPosition,
  parseEventPosition,
  type EventBatchMetadata,
  type EventPosition,
} from './events/event-position.js';
export { readEvents, type EventBatch, type ReadEventsOptions } from './client/read-events.js';
export {
  createFlightSqlService,
  type FlightSqlOptions,
  type FlightSqlRequest,
  type FlightSqlService,
} from './flight-sql/flight-sql-service.js';
export type { SqlRelationGrant, SqlSchemaGrant } from './flight-sql/sql-catalog.js';
export { guardSql, type GuardedSql, type SqlGuardOptions } from './flight-sql/sql-guard.js';
export { DEFAULT_SQL_FUNCTIONS } from './flight-sql/sql-allow-list.js';
export type {
  ExtensionContext,
  FlightAction,
  FlightExtension,
  PutConsumer,
  PutTarget,
} from './server/flight-extension.js';
export {
  sqlIngestDescriptor,
  sqlMetadataDescriptor,
  sqlQueryDescriptor,
  type FlightSqlMetadataRequest,
} from './client/flight-sql-descriptors.js';
export { prepareStatement, type PreparedStatement } from './client/prepared-statement.js';
export {
  createTableIngest,
  type IngestGrant,
  type TableIngest,
  type TableIngestOptions,
} from './put/table-ingest.js';
export { createEventExchange, type EventExchangeOptions } from './exchange/event-exchange.js';
export {
  EVENT_EXCHANGE_KIND,
  eventExchangeRequestSchema,
  exchangeConsumerName,
  type EventExchangeRequest,
} from './exchange/event-exchange-request.js';
export type {
  ExchangeContext,
  ExchangeIo,
  ExchangeSession,
  ExchangeTarget,
} from './exchange/exchange-target.js';
export type { ExchangeBatchMetadata } from './exchange/exchange-messages.js';
export type {
  EventExchange,
  ExchangedBatch,
  ExchangeEventsOptions,
} from './client/event-exchange.js';
export { HAS_DEFAULT_METADATA, PG_TYPE_METADATA } from './put/target-columns.js';
export { putUpdateCount } from './put/put-update-count.js';
export {
  textBatchSchema,
  textRowsToBatches,
  type TextBatchesOptions,
  type TextRow,
} from './put/text-batches.js';
