import { Counter, Histogram, type Registry } from 'prom-client';
import { registerMetrics } from '../registry/register-metrics.js';

/** Buckets of Elasticsearch request durations in seconds (single documents to large bulks). */
export const ELASTICSEARCH_REQUEST_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
] as const;

/** The Prometheus collectors behind `@fraiseql/elasticsearch`. */
export interface ElasticsearchMetricSet {
  readonly documentsIndexed: Counter<'component'>;
  readonly requestDuration: Histogram<'component' | 'operation'>;
  readonly itemFailures: Counter<'component' | 'reason'>;
  readonly retries: Counter<'component' | 'reason'>;
  readonly versionConflicts: Counter<'component'>;
  readonly deadLetters: Counter<'component'>;
}

const P = 'fraiseql_elasticsearch_';

/** Defines (once per registry) the `fraiseql_elasticsearch_*` metrics. */
export function elasticsearchMetricSet(registry: Registry): ElasticsearchMetricSet {
  return registerMetrics(registry, 'elasticsearch', (registers) => ({
    documentsIndexed: new Counter({
      name: `${P}documents_indexed_total`,
      help: 'Documents stored (created, replaced or deleted), by component (sink, action).',
      labelNames: ['component'],
      registers,
    }),
    requestDuration: new Histogram({
      name: `${P}request_duration_seconds`,
      help: 'Duration of answered Elasticsearch requests (bulk for the sink, index/delete for the action).',
      labelNames: ['component', 'operation'],
      buckets: [...ELASTICSEARCH_REQUEST_BUCKETS],
      registers,
    }),
    itemFailures: new Counter({
      name: `${P}item_failures_total`,
      help: 'Documents (or requests) that failed, by component and reason (http_429, network, mapper_parsing_exception, ...).',
      labelNames: ['component', 'reason'],
      registers,
    }),
    retries: new Counter({
      name: `${P}retries_total`,
      help: 'Documents sent again after a retryable failure, by component and reason.',
      labelNames: ['component', 'reason'],
      registers,
    }),
    versionConflicts: new Counter({
      name: `${P}version_conflicts_total`,
      help: 'Writes skipped because a newer version (or the same event) was already stored.',
      labelNames: ['component'],
      registers,
    }),
    deadLetters: new Counter({
      name: `${P}dead_letters_total`,
      help: 'Documents refused for good and written to the dead-letter path.',
      labelNames: ['component'],
      registers,
    }),
  }));
}
