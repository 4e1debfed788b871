import type { ServiceHealth } from '@fraiseql/core';
import type { Registry } from 'prom-client';
import { LabelLimiter } from '../registry/label-limiter.js';
import { createServiceMetrics } from '../services/create-service-metrics.js';
import { elasticsearchMetricSet } from './elasticsearch-metric-set.js';

/** Which part of the Elasticsearch package a metric comes from. */
export type ElasticsearchComponentName = 'sink' | 'action';

/**
 * What `@fraiseql/elasticsearch` reports, declared here so this package does not depend on it:
 * its `ElasticsearchMetrics` seam has this shape.
 */
export interface ElasticsearchMetricsReporter {
  documentsIndexed(component: ElasticsearchComponentName, count: number): void;
  requestDuration(component: ElasticsearchComponentName, operation: string, seconds: number): void;
  itemFailed(component: ElasticsearchComponentName, reason: string, count: number): void;
  retried(component: ElasticsearchComponentName, reason: string, count: number): void;
  versionConflictSkipped(component: ElasticsearchComponentName, count: number): void;
  deadLettered(component: ElasticsearchComponentName, count: number): void;
  /** The connection's health (reported as `fraiseql_service_*`). */
  serviceState(health: ServiceHealth): void;
}

/** Options of {@link createElasticsearchMetrics}. */
export interface ElasticsearchMetricsOptions {
  /** Most distinct values kept per label; later new values are reported as `other`. @defaultValue `100` */
  readonly maxLabelValues?: number;
}

/**
 * Implements the Elasticsearch metrics seam on `registry`: the `fraiseql_elasticsearch_*`
 * metrics, and the connection's health as `fraiseql_service_*{kind="elasticsearch"}`.
 */
export function createElasticsearchMetrics(
  registry: Registry,
  options: ElasticsearchMetricsOptions = {},
): ElasticsearchMetricsReporter {
  const m = elasticsearchMetricSet(registry);
  const max = options.maxLabelValues ?? 100;
  const reasons = new LabelLimiter(max);
  const operations = new LabelLimiter(max);
  const services = createServiceMetrics(registry, { maxLabelValues: max });
  return {
    documentsIndexed(component, count) {
      m.documentsIndexed.inc({ component }, count);
    },
    requestDuration(component, operation, seconds) {
      m.requestDuration.observe({ component, operation: operations.value(operation) }, seconds);
    },
    itemFailed(component, reason, count) {
      m.itemFailures.inc({ component, reason: reasons.value(reason) }, count);
    },
    retried(component, reason, count) {
      m.retries.inc({ component, reason: reasons.value(reason) }, count);
    },
    versionConflictSkipped(component, count) {
      m.versionConflicts.inc({ component }, count);
    },
    deadLettered(component, count) {
      m.deadLetters.inc({ component }, count);
    },
    serviceState(health) {
      services.serviceState(health);
    },
  };
}
