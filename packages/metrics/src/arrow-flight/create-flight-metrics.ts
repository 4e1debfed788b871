import type { Registry } from 'prom-client';
import { LabelLimiter } from '../registry/label-limiter.js';
import { flightMetricSet } from './flight-metric-set.js';

/**
 * What `@fraiseql/arrow-flight` reports, declared here so this package does not depend on it:
 * its `FlightMetrics` seam has this shape.
 */
export interface FlightMetricsReporter {
  streamStarted(kind: string): void;
  streamEnded(kind: string, status: string, durationSeconds: number): void;
  firstBatch(kind: string, seconds: number): void;
  batchSent(kind: string, rows: number, bytes: number): void;
  rpcError(method: string, status: string): void;
}

/** Options of {@link createFlightMetrics}. */
export interface FlightMetricsOptions {
  /** Most distinct values kept per label; later new values are reported as `other`. @defaultValue `50` */
  readonly maxLabelValues?: number;
}

/**
 * Implements the Arrow Flight metrics seam on `registry`: the `fraiseql_flight_*` metrics.
 *
 * @example
 * const server = await startFlightServer({ metrics: createFlightMetrics(registry) });
 */
export function createFlightMetrics(
  registry: Registry,
  options: FlightMetricsOptions = {},
): FlightMetricsReporter {
  const m = flightMetricSet(registry);
  const max = options.maxLabelValues ?? 50;
  const kinds = new LabelLimiter(max);
  const methods = new LabelLimiter(max);
  const statuses = new LabelLimiter(max);
  return {
    streamStarted(kind) {
      const label = { kind: kinds.value(kind) };
      m.streams.inc(label);
      m.streamsActive.inc(label);
    },
    streamEnded(kind, status, durationSeconds) {
      const label = kinds.value(kind);
      m.streamsActive.dec({ kind: label });
      m.streamDuration.observe({ kind: label, status: statuses.value(status) }, durationSeconds);
    },
    firstBatch(kind, seconds) {
      m.firstBatch.observe({ kind: kinds.value(kind) }, seconds);
    },
    batchSent(kind, rows, bytes) {
      const label = { kind: kinds.value(kind) };
      m.rows.inc(label, rows);
      m.bytes.inc(label, bytes);
    },
    rpcError(method, status) {
      m.errors.inc({ method: methods.value(method), status: statuses.value(status) });
    },
  };
}
