import type { createMetricsRegistry } from '@fraiseql/metrics';

/** The server's Prometheus registry, as `@fraiseql/metrics` creates it. */
export type MetricsRegistry = ReturnType<typeof createMetricsRegistry>;
