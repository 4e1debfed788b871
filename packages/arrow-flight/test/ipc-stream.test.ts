import { tableFromArrays, tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  FlightClient,
  isFlightError,
  pathDescriptor,
  startFlightServer,
} from '@fraiseql/arrow-flight';

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(Uint8Array.from(part));
  return Buffer.concat(parts);
}

describe('tickets redeemed as an Arrow IPC stream (HTTP fallback)', () => {
  it('streams the same rows as DoGet, behind the same credentials', async () => {
    const server = await startFlightServer({
      port: 0,
      batch: { rows: 1000 },
      auth: { apiKeys: [{ name: 'reader', key: 'reader-key-0123456789', roles: ['*'] }] },
    });
    const ids = Int32Array.from({ length: 2500 }, (_, i) => i);
    server.registerTable('trips', tableFromArrays({ id: ids, label: Array.from(ids, String) }));
    const client = new FlightClient({ url: server.url });
    try {
      await client.handshake({ apiKey: 'reader-key-0123456789' });
      const info = await client.getFlightInfo(pathDescriptor('table', 'trips'));
      const ticket = info.endpoints[0]!.ticket;

      const bytes = await collect(
        await server.readIpcStream(ticket, { authorization: 'Bearer reader-key-0123456789' }),
      );
      const table = tableFromIPC(bytes);
      expect(table.numRows).toBe(2500);
      expect(table.batches).toHaveLength(3);
      expect(table.getChild('label')?.get(2499)).toBe('2499');
      // The stream ends with the end-of-stream marker.
      expect([...bytes.subarray(-8)]).toEqual([255, 255, 255, 255, 0, 0, 0, 0]);

      const refused = await server
        .readIpcStream(ticket, { authorization: 'Bearer wrong-key-0123456789' })
        .catch((error: unknown) => error);
      expect(isFlightError(refused, 'UNAUTHENTICATED')).toBe(true);
      const forged = Uint8Array.from(ticket);
      forged[forged.length - 2] = forged[forged.length - 2] === 65 ? 66 : 65;
      const invalid = await server
        .readIpcStream(forged, { authorization: 'Bearer reader-key-0123456789' })
        .catch((error: unknown) => error);
      expect(isFlightError(invalid, 'INVALID_TICKET')).toBe(true);
      expect((await server.health()).activeStreams).toBe(0);
    } finally {
      client.close();
      await server.close();
    }
  });
});
