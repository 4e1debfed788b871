export {
  ElasticsearchError,
  isElasticsearchError,
  type ElasticsearchErrorCode,
  type ElasticsearchErrorOptions,
} from './errors.js';
export type {
  ElasticsearchClientLike,
  ElasticsearchTransportLike,
  TransportRequestOptions,
  TransportRequestParams,
  TransportResponse,
} from './client/elasticsearch-client.js';
export {
  createElasticsearchConnection,
  type ElasticsearchAnswer,
  type ElasticsearchAuth,
  type ElasticsearchConnection,
  type ElasticsearchConnectionOptions,
  type RequestOptions,
} from './client/elasticsearch-connection.js';
export { elasticsearchFailure, statusFailure } from './client/elasticsearch-failure.js';
export { serverInfoOf, type ServerInfo } from './client/server-info.js';
export {
  noopElasticsearchMetrics,
  type ElasticsearchComponent,
  type ElasticsearchMetrics,
} from './metrics/elasticsearch-metrics.js';
export { monthlyIndexName } from './documents/event-index-name.js';
export { eventDocumentJson, type EventDocumentOptions } from './documents/event-document.js';
export { SEARCH_TEXT_MAX_CHARS, searchText } from './documents/search-text.js';
export { bulkBody, bulkItem, type BulkItem, type BulkOperation } from './documents/bulk-item.js';
export type {
  SinkDeadLetter,
  SinkDeadLetters,
  StoredSinkDeadLetter,
} from './dead-letters/sink-dead-letters.js';
export { createMemorySinkDeadLetters } from './dead-letters/memory-sink-dead-letters.js';
export {
  createPgSinkDeadLetters,
  elasticsearchMigrations,
} from './dead-letters/pg-sink-dead-letters.js';
export { eventIndexLayout, type EventIndexLayout } from './setup/event-index-layout.js';
export {
  eventMappings,
  eventTemplateRequests,
  templateNames,
  type DataMapping,
  type EventTemplateOptions,
  type TemplateRequest,
} from './setup/event-templates.js';
export { ensureEventTemplates, type EventTemplateSetup } from './setup/ensure-event-templates.js';
export {
  eventSinkConfigSchema,
  type EventSinkConfig,
  type EventSinkConfigInput,
} from './sink/event-sink-config.js';
export {
  createBulkWriter,
  splitBatches,
  type BulkOutcome,
  type BulkWriter,
  type BulkWriterOptions,
} from './sink/bulk-writer.js';
export {
  createElasticsearchEventSink,
  type ElasticsearchEventSink,
  type ElasticsearchEventSinkOptions,
  type EventSinkStats,
} from './sink/elasticsearch-event-sink.js';
export {
  createEventSinkConsumer,
  type EventSinkConsumer,
  type EventSinkConsumerOptions,
  type EventSinkConsumerStats,
} from './sink/event-sink-consumer.js';
export {
  searchActionSchema,
  type SearchActionConfig,
  type SearchActionConfigInput,
} from './action/search-action-schema.js';
export { entityDocument, pickFields } from './action/entity-document.js';
export { createSearchAction, type SearchActionOptions } from './action/search-action.js';
export type { EventFilters, EventQueryTarget } from './analytics/event-filters.js';
export {
  ELASTICSEARCH_ANALYTICS_KINDS,
  runElasticsearchAnalyticsRequest,
  type ElasticsearchAnalyticsKind,
  type ElasticsearchRequestParams,
} from './analytics/analytics-request.js';
export {
  eventHistogram,
  type EventHistogramOptions,
  type HistogramBucket,
} from './analytics/event-histogram.js';
export { topEntities, type TopEntity } from './analytics/top-entities.js';
export { activeTenants, type ActiveTenant } from './analytics/active-tenants.js';
export {
  searchEvents,
  type EventHit,
  type EventSearchResult,
  type SearchEventsOptions,
} from './analytics/search-events.js';
export {
  searchEntities,
  type EntityHit,
  type EntitySearchResult,
  type SearchEntitiesOptions,
} from './analytics/search-entities.js';
