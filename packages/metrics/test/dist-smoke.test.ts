import { expect, it } from 'vitest';

// Imports the built package through its own exports map (a self-reference by name), as a user
// would: this fails when dist/ is missing, the map points at the wrong file, or an export
// disappeared. Run `pnpm exec tsc -b` first.
it('@fraiseql/metrics loads from dist through its exports map', async () => {
  const metrics = await import('@fraiseql/metrics');
  expect(import.meta.resolve('@fraiseql/metrics')).toMatch(/\/packages\/metrics\/dist\/index\.js$/);
  const registry = metrics.createMetricsRegistry();
  metrics.createObserverMetrics(registry).eventProcessed();
  const { contentType, body } = await metrics.renderMetrics(registry);
  expect(contentType).toBe(metrics.PROMETHEUS_CONTENT_TYPE);
  expect(body).toContain('fraiseql_observer_events_processed_total 1\n');
  expect(metrics.isMetricsError(new metrics.MetricsError('INVALID_ARGUMENT', 'x'))).toBe(true);
});
