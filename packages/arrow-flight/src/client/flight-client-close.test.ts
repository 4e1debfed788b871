import { tableFromArrays, type RecordBatch } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFlightError } from '../errors.js';
import { startFlightServer, type FlightServer } from '../server/flight-server.js';
import { pathDescriptor } from './descriptors.js';
import { FlightClient } from './flight-client.js';

describe('FlightClient.close', () => {
  let server: FlightServer;

  beforeAll(async () => {
    // Many small batches: a reader that stops after the first leaves the stream running.
    server = await startFlightServer({ port: 0, batch: { rows: 100, bytes: 1 << 20 } });
    server.registerTable(
      'many',
      tableFromArrays({ id: Int32Array.from({ length: 200_000 }, (_, i) => i) }),
    );
  });
  afterAll(async () => {
    await server.close();
  });

  it('cancels a stream that is being read: the next read fails with CANCELLED', async () => {
    const client = new FlightClient({ url: server.url });
    const info = await client.getFlightInfo(pathDescriptor('table', 'many'));
    const batches = client.doGet(info.endpoints[0]!.ticket);
    const first = await batches.next();
    expect(first.done).toBe(false);
    expect((first.value as RecordBatch).numRows).toBe(100);
    client.close();
    const rest = await (async () => {
      let rows = 0;
      for await (const batch of { [Symbol.asyncIterator]: () => batches }) rows += batch.numRows;
      return rows;
    })().catch((error: unknown) => error);
    expect(isFlightError(rest, 'CANCELLED')).toBe(true);
  });

  it('leaves nothing to cancel once calls have finished, and refuses new calls', async () => {
    const client = new FlightClient({ url: server.url });
    const table = await client.doGetTable(
      (await client.getFlightInfo(pathDescriptor('table', 'many'))).endpoints[0]!.ticket,
    );
    expect(table.numRows).toBe(200_000);
    client.close();
    await expect(client.getFlightInfo(pathDescriptor('table', 'many'))).rejects.toThrow();
  });
});
