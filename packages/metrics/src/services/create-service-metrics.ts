import type { ServiceHealth } from '@fraiseql/core';
import type { Registry } from 'prom-client';
import { LabelLimiter } from '../registry/label-limiter.js';
import { serviceMetricSet } from './service-metric-set.js';

const STATES = ['up', 'down', 'reconnecting', 'closed'] as const;

/** What a package reports about its connections (the observers runtime calls it). */
export interface ServiceMetricsReporter {
  /** The current health of one connection; call it on every change or at an interval. */
  serviceState(health: ServiceHealth): void;
}

/** Options of {@link createServiceMetrics}. */
export interface ServiceMetricsOptions {
  /** Most distinct service names kept; later new ones are reported as `other`. @defaultValue `100` */
  readonly maxLabelValues?: number | undefined;
}

/**
 * Implements service-health reporting on `registry`: `fraiseql_service_up`,
 * `fraiseql_service_state` and `fraiseql_service_outages_total`, labelled by service name and
 * kind. Outages are counted from the `outages` field of each report, so reporting the same
 * health twice counts nothing.
 */
export function createServiceMetrics(
  registry: Registry,
  options: ServiceMetricsOptions = {},
): ServiceMetricsReporter {
  const m = serviceMetricSet(registry);
  const names = new LabelLimiter(options.maxLabelValues ?? 100);
  const kinds = new LabelLimiter(20);
  const counted = new Map<string, number>();
  return {
    serviceState(health) {
      const labels = { service: names.value(health.name), kind: kinds.value(health.kind) };
      m.up.set(labels, health.state === 'up' ? 1 : 0);
      for (const state of STATES) m.state.set({ ...labels, state }, health.state === state ? 1 : 0);
      const key = `${labels.kind}\u0000${labels.service}`;
      const before = counted.get(key) ?? 0;
      if (health.outages > before) {
        m.outages.inc(labels, health.outages - before);
        counted.set(key, health.outages);
      } else if (!counted.has(key)) {
        m.outages.inc(labels, 0); // the series exists from the first report on
        counted.set(key, health.outages);
      }
    },
  };
}
