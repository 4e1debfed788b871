import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { isMetricsError } from '../errors.js';
import { createMetricsRegistry } from '../registry/create-metrics-registry.js';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from './negotiate-metrics-format.js';
import { renderMetrics } from './render-metrics.js';

function sampleRegistry(): Registry {
  const registry = createMetricsRegistry({ defaultLabels: { service: 'orders' } });
  const counter = new Counter({
    name: 'demo_events_total',
    help: 'Events "seen"\nso far',
    labelNames: ['kind'],
    registers: [registry],
  });
  counter.inc({ kind: 'a"b\\c' }, 3);
  const histogram = new Histogram({
    name: 'demo_duration_seconds',
    help: 'Durations',
    buckets: [0.1, 1],
    registers: [registry],
  });
  histogram.observe(0.5);
  return registry;
}

describe('renderMetrics', () => {
  it('writes OpenMetrics with counter families, _total samples, escaped labels and # EOF', async () => {
    const { contentType, body } = await renderMetrics(
      sampleRegistry(),
      'application/openmetrics-text;version=1.0.0',
    );
    expect(contentType).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(body).toContain('# TYPE demo_events counter\n');
    expect(body).toContain('# HELP demo_events Events \\"seen\\"\\nso far\n');
    expect(body).toContain('demo_events_total{kind="a\\"b\\\\c",service="orders"} 3\n');
    expect(body).toContain('demo_duration_seconds_bucket{le="+Inf",service="orders"} 1\n');
    expect(body).toContain('demo_duration_seconds_count{service="orders"} 1\n');
    expect(body.endsWith('# EOF\n')).toBe(true);
  });

  it('keeps counter names intact in the Prometheus format after an OpenMetrics scrape', async () => {
    const registry = sampleRegistry();
    await renderMetrics(registry, 'application/openmetrics-text');
    const { contentType, body } = await renderMetrics(registry, 'text/plain');
    expect(contentType).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(body).toContain('# TYPE demo_events_total counter\n');
    expect(body).toContain('demo_events_total{kind="a\\"b\\\\c",service="orders"} 3\n');
  });

  it('refuses a registry set to prom-client OpenMetrics type', async () => {
    const registry = new Registry();
    // A JavaScript caller can switch any registry to OpenMetrics; the types do not allow it.
    registry.setContentType(
      Registry.OPENMETRICS_CONTENT_TYPE as unknown as typeof Registry.PROMETHEUS_CONTENT_TYPE,
    );
    const error: unknown = await renderMetrics(registry).catch((thrown: unknown) => thrown);
    expect(isMetricsError(error, 'INVALID_ARGUMENT')).toBe(true);
  });
});
