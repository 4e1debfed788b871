export { MetricsError, isMetricsError, type MetricsErrorCode } from './errors.js';
export {
  createMetricsRegistry,
  type MetricsRegistryOptions,
} from './registry/create-metrics-registry.js';
export { registerMetrics } from './registry/register-metrics.js';
export { LabelLimiter, OVERFLOW_LABEL } from './registry/label-limiter.js';
export { HotCounter, type HotCounterCell, type HotCounterOptions } from './registry/hot-counter.js';
export {
  HotHistogram,
  HotHistogramCell,
  type HotHistogramOptions,
} from './registry/hot-histogram.js';
export {
  ACTION_DURATION_BUCKETS,
  BATCH_SIZE_BUCKETS,
  observerMetricSet,
  type ObserverMetricSet,
} from './observers/observer-metric-set.js';
export {
  createObserverMetrics,
  type BreakerStateName,
  type ObserverMetricsOptions,
  type ObserverMetricsReporter,
} from './observers/create-observer-metrics.js';
export { serviceMetricSet, type ServiceMetricSet } from './services/service-metric-set.js';
export {
  createServiceMetrics,
  type ServiceMetricsOptions,
  type ServiceMetricsReporter,
} from './services/create-service-metrics.js';
export {
  JOB_DURATION_BUCKETS,
  jobQueueMetricSet,
  type JobQueueMetricSet,
} from './job-queue/job-queue-metric-set.js';
export {
  createJobQueueMetrics,
  type JobQueueDepthState,
  type JobQueueMetricsOptions,
  type JobQueueMetricsReporter,
} from './job-queue/create-job-queue-metrics.js';
export {
  ELASTICSEARCH_REQUEST_BUCKETS,
  elasticsearchMetricSet,
  type ElasticsearchMetricSet,
} from './elasticsearch/elasticsearch-metric-set.js';
export {
  createElasticsearchMetrics,
  type ElasticsearchComponentName,
  type ElasticsearchMetricsOptions,
  type ElasticsearchMetricsReporter,
} from './elasticsearch/create-elasticsearch-metrics.js';
export {
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  negotiateMetricsFormat,
  type MetricsFormat,
} from './http/negotiate-metrics-format.js';
export { renderMetrics, type RenderedMetrics } from './http/render-metrics.js';
export { renderOpenMetrics } from './http/render-open-metrics.js';
export { createMetricsHandler, type MetricsRequestHandler } from './http/create-metrics-handler.js';
export {
  createWebMetricsHandler,
  type WebMetricsHandler,
} from './http/create-web-metrics-handler.js';
export {
  startMetricsServer,
  type MetricsServer,
  type MetricsServerOptions,
} from './http/start-metrics-server.js';
export {
  BATCH_ROWS_BUCKETS,
  FLUSH_DURATION_BUCKETS,
  clickHouseSinkMetricSet,
  type ClickHouseSinkMetricSet,
} from './clickhouse/clickhouse-sink-metric-set.js';
export {
  createClickHouseSinkMetrics,
  type ClickHouseSinkMetricsOptions,
  type ClickHouseSinkMetricsReporter,
} from './clickhouse/create-clickhouse-sink-metrics.js';
export {
  FLIGHT_FIRST_BATCH_BUCKETS,
  FLIGHT_STREAM_DURATION_BUCKETS,
  flightMetricSet,
  type FlightMetricSet,
} from './arrow-flight/flight-metric-set.js';
export {
  createFlightMetrics,
  type FlightMetricsOptions,
  type FlightMetricsReporter,
} from './arrow-flight/create-flight-metrics.js';
