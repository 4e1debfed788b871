import { Registry } from 'prom-client';
import { MetricsError } from '../errors.js';
import {
  negotiateMetricsFormat,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
} from './negotiate-metrics-format.js';
import { renderOpenMetrics } from './render-open-metrics.js';

/** A rendered `/metrics` answer. */
export interface RenderedMetrics {
  readonly contentType: string;
  readonly body: string;
}

/**
 * Renders `registry` in the format the `Accept` header asks for (see
 * {@link negotiateMetricsFormat}).
 *
 * @throws {MetricsError} `INVALID_ARGUMENT` when the registry was created with prom-client's
 *   OpenMetrics content type (its rendering renames counters in place; use a default registry).
 */
export async function renderMetrics(
  registry: Registry,
  accept?: string | null,
): Promise<RenderedMetrics> {
  if (negotiateMetricsFormat(accept) === 'openmetrics') {
    return { contentType: OPENMETRICS_CONTENT_TYPE, body: await renderOpenMetrics(registry) };
  }
  checkRegistry(registry);
  return { contentType: PROMETHEUS_CONTENT_TYPE, body: await registry.metrics() };
}

/** @throws {MetricsError} `INVALID_ARGUMENT` for a registry set to prom-client's OpenMetrics type. */
export function checkRegistry(registry: Registry): void {
  // The type says Prometheus, but prom-client lets a registry be created with either.
  const contentType: string = registry.contentType;
  if (contentType !== Registry.PROMETHEUS_CONTENT_TYPE) {
    throw new MetricsError(
      'INVALID_ARGUMENT',
      `metrics registry: expected the Prometheus content type, got ${JSON.stringify(contentType)}; create it with createMetricsRegistry() (OpenMetrics is negotiated per request)`,
    );
  }
}
