import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FlightClient,
  isFlightError,
  pathDescriptor,
  startFlightServer,
  type FlightServer,
} from '@fraiseql/arrow-flight';
import { sampleTable } from './fixtures.js';

describe('DoGet of an in-memory table', () => {
  let server: FlightServer;
  let client: FlightClient;
  const table = sampleTable(200_000);

  beforeAll(async () => {
    server = await startFlightServer({ port: 0, batch: { rows: 50_000, bytes: 1 << 22 } });
    server.registerTable('trips', table);
    client = new FlightClient({ url: server.url });
  });
  afterAll(async () => {
    client.close();
    await server.close();
  });

  it('describes the dataset with its IPC schema, row count and a ticket', async () => {
    const info = await client.getFlightInfo(pathDescriptor('table', 'trips'));
    expect(info.schema.fields.map((field) => field.name)).toEqual(['id', 'value', 'name', 'at']);
    expect(info.totalRecords).toBe(200_000);
    expect(info.endpoints).toHaveLength(1);
    expect(info.endpoints[0]?.streamId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('streams every row back intact, in batches no larger than the row limit', async () => {
    const info = await client.getFlightInfo(pathDescriptor('table', 'trips'));
    const batches = [];
    for await (const batch of client.doGet(info.endpoints[0]!.ticket)) batches.push(batch);
    expect(batches.length).toBe(4);
    expect(Math.max(...batches.map((batch) => batch.numRows))).toBe(50_000);
    const received = await client.doGetTable(info.endpoints[0]!.ticket);
    expect(received.numRows).toBe(200_000);
    for (const index of [0, 1, 49_999, 50_000, 199_999]) {
      expect(received.get(index)?.toJSON()).toEqual(table.get(index)?.toJSON());
    }
  });

  it('lists the dataset and answers GetSchema for it', async () => {
    const listed = [];
    for await (const info of client.listFlights()) listed.push(info);
    expect(listed.map((info) => info.descriptor?.path.join('/'))).toContain('table/trips');
    const schema = await client.getSchema(pathDescriptor('table/trips'));
    expect(schema.fields.map((field) => String(field.type))).toEqual([
      'Int64',
      'Float64',
      'Utf8',
      'Timestamp<MICROSECOND, UTC>',
    ]);
  });

  it('answers NOT_FOUND for an unknown dataset and INVALID_ARGUMENT for a forged ticket', async () => {
    const missing = await client
      .getFlightInfo(pathDescriptor('table', 'nope'))
      .catch((e: unknown) => e);
    expect(isFlightError(missing, 'NOT_FOUND')).toBe(true);
    const forged = await (async () => {
      for await (const batch of client.doGet(new TextEncoder().encode('not-a-ticket')))
        expect(batch).toBeUndefined();
    })().catch((e: unknown) => e);
    expect(isFlightError(forged, 'INVALID_ARGUMENT')).toBe(true);
    expect((forged as { grpcCode?: number }).grpcCode).toBe(3);
  });

  it('answers UNIMPLEMENTED for DoPut and DoExchange and lists its actions', async () => {
    const actions = await client.listActions();
    expect(actions.map((action) => action.type)).toEqual(['health', 'refresh-schema', 'cancel']);
    const [health] = await client.doAction('health');
    expect(health).toMatchObject({ status: 'ok', auth: false, activeStreams: 0 });
  });
});
