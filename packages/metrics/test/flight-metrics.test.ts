// The Arrow Flight metrics moved by a real Flight server and client over gRPC (in-memory
// tables, no database needed).
import {
  FlightClient,
  pathDescriptor,
  startFlightServer,
  type FlightMetrics,
} from '@fraiseql/arrow-flight';
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { createFlightMetrics, createMetricsRegistry } from '../src/index.js';
import { fraiseqlMetricNames, readMetric } from './fixtures/read-metric.js';

describe('arrow flight metrics from a real server', () => {
  it('moves every fraiseql_flight_* metric', async () => {
    const registry = createMetricsRegistry();
    const metrics: FlightMetrics = createFlightMetrics(registry);
    const server = await startFlightServer({ port: 0, metrics, batch: { rows: 100_000 } });
    const rows = 2_000_000;
    server.registerTable(
      'trips',
      tableFromArrays({ id: Int32Array.from({ length: rows }, (_, i) => i) }),
    );
    const client = new FlightClient({ url: server.url });
    try {
      const info = await client.getFlightInfo(pathDescriptor('table', 'trips'));
      const ticket = info.endpoints[0]!.ticket;
      let received = 0;
      let activeDuring = -1;
      // 8 MB of values outrun the HTTP/2 window, so the server is still sending (and the stream
      // still active) when the first batch arrives.
      for await (const batch of client.doGet(ticket)) {
        received += batch.numRows;
        if (activeDuring < 0) {
          activeDuring = await readMetric(registry, 'fraiseql_flight_streams_active', {
            kind: 'table',
          });
        }
      }
      expect(received).toBe(rows);
      expect(activeDuring).toBe(1);
      expect(await readMetric(registry, 'fraiseql_flight_streams_active', { kind: 'table' })).toBe(
        0,
      );
      expect(await readMetric(registry, 'fraiseql_flight_streams_total', { kind: 'table' })).toBe(
        1,
      );
      expect(await readMetric(registry, 'fraiseql_flight_rows_total', { kind: 'table' })).toBe(
        rows,
      );
      // Twenty batches of 100,000 int32 values: at least the 8 MB of values went out.
      expect(
        await readMetric(registry, 'fraiseql_flight_bytes_total', { kind: 'table' }),
      ).toBeGreaterThan(rows * 4);
      expect(
        await readMetric(registry, 'fraiseql_flight_time_to_first_batch_seconds_count', {
          kind: 'table',
        }),
      ).toBe(1);
      expect(
        await readMetric(registry, 'fraiseql_flight_stream_duration_seconds_count', {
          kind: 'table',
          status: 'OK',
        }),
      ).toBe(1);

      // A forged ticket and an unknown dataset fail with their gRPC status.
      const forged = Uint8Array.from(ticket);
      forged[forged.length - 3] = forged[forged.length - 3] === 65 ? 66 : 65;
      await expect(client.doGetTable(forged)).rejects.toThrow();
      await expect(client.getFlightInfo(pathDescriptor('table', 'nope'))).rejects.toThrow();
      expect(
        await readMetric(registry, 'fraiseql_flight_errors_total', {
          method: 'DoGet',
          status: 'INVALID_ARGUMENT',
        }),
      ).toBe(1);
      expect(
        await readMetric(registry, 'fraiseql_flight_errors_total', {
          method: 'GetFlightInfo',
          status: 'NOT_FOUND',
        }),
      ).toBe(1);
      expect(await fraiseqlMetricNames(registry)).toEqual([
        'fraiseql_flight_bytes_total',
        'fraiseql_flight_errors_total',
        'fraiseql_flight_rows_total',
        'fraiseql_flight_stream_duration_seconds',
        'fraiseql_flight_streams_active',
        'fraiseql_flight_streams_total',
        'fraiseql_flight_time_to_first_batch_seconds',
      ]);
    } finally {
      client.close();
      await server.close();
    }
  });
});
