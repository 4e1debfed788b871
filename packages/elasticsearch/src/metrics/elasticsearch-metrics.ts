import type { ServiceHealth } from '@fraiseql/core';

/** Which part of the package a metric comes from. */
export type ElasticsearchComponent = 'sink' | 'action';

/**
 * What this package reports; `@fraiseql/metrics` implements it structurally with the
 * `fraiseql_elasticsearch_*` Prometheus metrics. Every method must be cheap and never throw.
 */
export interface ElasticsearchMetrics {
  /** Documents stored (created, replaced or deleted) by `component`. */
  documentsIndexed(component: ElasticsearchComponent, count: number): void;
  /** One `_bulk` request (or single-document request for the action) that got an answer. */
  requestDuration(component: ElasticsearchComponent, operation: string, seconds: number): void;
  /** Items (or requests) that failed, by low-cardinality reason (`http_429`, `mapper_parsing_exception`, `network`…). */
  itemFailed(component: ElasticsearchComponent, reason: string, count: number): void;
  /** Items (or requests) sent again after a retryable failure. */
  retried(component: ElasticsearchComponent, reason: string, count: number): void;
  /** Writes skipped because a newer version (or the same event) was already stored. */
  versionConflictSkipped(component: ElasticsearchComponent, count: number): void;
  /** Items sent to the dead-letter path. */
  deadLettered(component: ElasticsearchComponent, count: number): void;
  /** The connection's health, on every change (`fraiseql_service_*{kind="elasticsearch"}`). */
  serviceState(health: ServiceHealth): void;
}

const noop = (): void => undefined;

/** The default {@link ElasticsearchMetrics}: records nothing. */
export const noopElasticsearchMetrics: ElasticsearchMetrics = Object.freeze({
  documentsIndexed: noop,
  requestDuration: noop,
  itemFailed: noop,
  retried: noop,
  versionConflictSkipped: noop,
  deadLettered: noop,
  serviceState: noop,
});
