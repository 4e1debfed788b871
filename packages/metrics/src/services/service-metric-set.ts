import { Counter, Gauge, type Registry } from 'prom-client';
import { registerMetrics } from '../registry/register-metrics.js';

/** The Prometheus collectors of service connections (databases, NATS, SMTP, HTTP pools, ...). */
export interface ServiceMetricSet {
  readonly up: Gauge<'service' | 'kind'>;
  readonly state: Gauge<'service' | 'kind' | 'state'>;
  readonly outages: Counter<'service' | 'kind'>;
}

/** Defines (once per registry) the `fraiseql_service_*` metrics every package reports through. */
export function serviceMetricSet(registry: Registry): ServiceMetricSet {
  return registerMetrics(registry, 'services', (registers) => ({
    up: new Gauge({
      name: 'fraiseql_service_up',
      help: 'Whether a service connection works: 1 up, 0 down, reconnecting or closed.',
      labelNames: ['service', 'kind'],
      registers,
    }),
    state: new Gauge({
      name: 'fraiseql_service_state',
      help: 'State of a service connection: 1 for the current state (up, down, reconnecting, closed), 0 for the others.',
      labelNames: ['service', 'kind', 'state'],
      registers,
    }),
    outages: new Counter({
      name: 'fraiseql_service_outages_total',
      help: 'Times a service connection went from up to down or reconnecting.',
      labelNames: ['service', 'kind'],
      registers,
    }),
  }));
}
