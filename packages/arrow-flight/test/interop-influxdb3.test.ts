import { InfluxDBClient } from '@influxdata/influxdb3-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FlightClient,
  pathDescriptor,
  startFlightServer,
  type FlightServer,
} from '@fraiseql/arrow-flight';
import { sampleTable } from './fixtures.js';

// @influxdata/influxdb3-client carries its own generated Flight stubs (protobuf-ts) and its own
// FlightData → IPC reassembly: an implementation nobody here wrote. It sends its query as a
// JSON ticket; the server accepts a FraiseQL ticket passed as that query's text.
describe('interop: @influxdata/influxdb3-client reads a dataset by ticket', () => {
  let server: FlightServer;
  const table = sampleTable(120_000);

  beforeAll(async () => {
    server = await startFlightServer({ port: 0, batch: { rows: 25_000, bytes: 1 << 22 } });
    server.registerTable('trips', table);
  });
  afterAll(async () => {
    await server.close();
  });

  it('reads every row of every batch', async () => {
    const ours = new FlightClient({ url: server.url });
    const info = await ours.getFlightInfo(pathDescriptor('table', 'trips'));
    ours.close();
    const ticket = new TextDecoder().decode(info.endpoints[0]!.ticket);

    const influx = new InfluxDBClient({
      host: `http://127.0.0.1:${server.address.port}`,
      token: 'unused',
      database: 'fraiseql',
    });
    try {
      const rows: Record<string, unknown>[] = [];
      for await (const row of influx.query(ticket, 'fraiseql')) rows.push(row);
      expect(rows).toHaveLength(120_000);
      expect(rows[0]).toMatchObject({ id: 0n, value: 0, name: 'name-000000000000000' });
      expect(rows[119_999]).toMatchObject({
        id: 119_999n,
        value: 119_999 * 1.5,
        name: 'name-000000000119999',
      });
    } finally {
      await influx.close();
    }
  });

  it('gets the server status for a tampered ticket', async () => {
    const ours = new FlightClient({ url: server.url });
    const info = await ours.getFlightInfo(pathDescriptor('table', 'trips'));
    ours.close();
    const ticket = new TextDecoder().decode(info.endpoints[0]!.ticket);
    const tampered = ticket.slice(0, -3) + (ticket.endsWith('A') ? 'BBB' : 'AAA');
    const influx = new InfluxDBClient({
      host: `http://127.0.0.1:${server.address.port}`,
      token: 'unused',
      database: 'fraiseql',
    });
    try {
      const error = await (async () => {
        for await (const row of influx.query(tampered, 'fraiseql')) expect(row).toBeUndefined();
      })().catch((e: unknown) => e);
      expect(String(error)).toMatch(/INVALID_ARGUMENT|invalid or tampered/);
    } finally {
      await influx.close();
    }
  });
});
