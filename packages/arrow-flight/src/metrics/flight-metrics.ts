/**
 * What the Flight server reports; `@fraiseql/metrics` implements it structurally with the
 * `fraiseql_flight_*` Prometheus metrics. Every method must be cheap and never throw.
 */
export interface FlightMetrics {
  /** A DoGet stream of `kind` started (`…_streams_total`, `…_streams_active` up). */
  streamStarted(kind: string): void;
  /**
   * A stream ended (`…_streams_active` down, `…_stream_duration_seconds`); `status` is the
   * gRPC status name it ended with (`OK`, `CANCELLED`, …).
   */
  streamEnded(kind: string, status: string, durationSeconds: number): void;
  /** The first record batch of a stream was handed to gRPC (`…_time_to_first_batch_seconds`). */
  firstBatch(kind: string, seconds: number): void;
  /** A record batch was sent (`…_rows_total`, `…_bytes_total`). */
  batchSent(kind: string, rows: number, bytes: number): void;
  /** An RPC failed with a gRPC status (`…_errors_total{method,status}`). */
  rpcError(method: string, status: string): void;
}

const noop = (): void => undefined;

/** The default {@link FlightMetrics}: records nothing. */
export const noopFlightMetrics: FlightMetrics = Object.freeze({
  streamStarted: noop,
  streamEnded: noop,
  firstBatch: noop,
  batchSent: noop,
  rpcError: noop,
});
