import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { registerMetrics } from '../registry/register-metrics.js';

/** Buckets of Flight stream durations in seconds (a point read to a long export or tail). */
export const FLIGHT_STREAM_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600,
] as const;

/** Buckets of the time from a DoGet call to its first record batch, in seconds. */
export const FLIGHT_FIRST_BATCH_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** The Prometheus collectors behind `@fraiseql/arrow-flight`. */
export interface FlightMetricSet {
  readonly streams: Counter<'kind'>;
  readonly streamsActive: Gauge<'kind'>;
  readonly rows: Counter<'kind'>;
  readonly bytes: Counter<'kind'>;
  readonly firstBatch: Histogram<'kind'>;
  readonly streamDuration: Histogram<'kind' | 'status'>;
  readonly errors: Counter<'method' | 'status'>;
}

const P = 'fraiseql_flight_';

/** Defines (once per registry) the `fraiseql_flight_*` metrics. */
export function flightMetricSet(registry: Registry): FlightMetricSet {
  return registerMetrics(registry, 'arrow-flight', (registers) => ({
    streams: new Counter({
      name: `${P}streams_total`,
      help: 'DoGet streams started, by stream kind (view, graphql, events, export, table).',
      labelNames: ['kind'],
      registers,
    }),
    streamsActive: new Gauge({
      name: `${P}streams_active`,
      help: 'DoGet streams running now, by stream kind (live event tails stay open).',
      labelNames: ['kind'],
      registers,
    }),
    rows: new Counter({
      name: `${P}rows_total`,
      help: 'Rows sent in record batches, by stream kind.',
      labelNames: ['kind'],
      registers,
    }),
    bytes: new Counter({
      name: `${P}bytes_total`,
      help: 'Bytes of FlightData messages sent for record batches, by stream kind.',
      labelNames: ['kind'],
      registers,
    }),
    firstBatch: new Histogram({
      name: `${P}time_to_first_batch_seconds`,
      help: 'Time from a DoGet call to its first record batch handed to gRPC, by stream kind.',
      labelNames: ['kind'],
      buckets: [...FLIGHT_FIRST_BATCH_BUCKETS],
      registers,
    }),
    streamDuration: new Histogram({
      name: `${P}stream_duration_seconds`,
      help: 'Duration of finished DoGet streams, by stream kind and the gRPC status they ended with.',
      labelNames: ['kind', 'status'],
      buckets: [...FLIGHT_STREAM_DURATION_BUCKETS],
      registers,
    }),
    errors: new Counter({
      name: `${P}errors_total`,
      help: 'Flight RPCs that failed, by method and gRPC status name.',
      labelNames: ['method', 'status'],
      registers,
    }),
  }));
}
