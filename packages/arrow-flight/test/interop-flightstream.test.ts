import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlightClient as FlightstreamClient } from '@flightstream/core-client';
import { FlightProtocolClient } from '@flightstream/core-client/flight-protocol-client';
import { Message, MessageHeader } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FlightClient,
  pathDescriptor,
  startFlightServer,
  type FlightServer,
} from '@fraiseql/arrow-flight';
import { sampleTable } from './fixtures.js';

const ignore = (): void => undefined;
const quiet = { debug: ignore, info: ignore, warn: ignore, error: ignore };

// The client looks for the .proto of its sibling server package; that package ships its own
// hand-written flight.proto, which is what the client then decodes with.
const protoPath = join(
  dirname(fileURLToPath(import.meta.resolve('@flightstream/core-server'))),
  '..',
  'proto',
  'flight.proto',
);

// @flightstream/core-client loads its own copy of Flight.proto with @grpc/proto-loader and
// decodes every message with protobufjs: a second implementation nobody here wrote. It reads
// ListFlights, GetFlightInfo and GetSchema by PATH descriptor, the action RPCs, and the raw
// DoGet message stream (its own table reassembly expects a non-standard body, so the body is
// checked byte for byte instead).
describe('interop: @flightstream/core-client', () => {
  let server: FlightServer;
  let client: InstanceType<typeof FlightstreamClient>;

  beforeAll(async () => {
    server = await startFlightServer({ port: 0, batch: { rows: 1000, bytes: 1 << 22 } });
    server.registerTable('trips', sampleTable(2500));
    client = new FlightstreamClient({
      host: '127.0.0.1',
      port: server.address.port,
      logger: quiet,
      retryAttempts: 1,
      protoPath,
    });
  });
  afterAll(async () => {
    await client.disconnect();
    await server.close();
  });

  it('lists the dataset with its row count', async () => {
    const datasets = await client.listDatasets();
    const trips = datasets.find((dataset) => dataset.id === 'table');
    expect(trips).toBeDefined();
    expect(Number(trips?.totalRecords)).toBe(2500);
  });

  it('reads the schema by PATH descriptor as an IPC schema message', async () => {
    const schema = await client.getSchema('table/trips');
    expect(schema.fields.map((field) => field.name)).toEqual(['id', 'value', 'name', 'at']);
    const info = await client.getDatasetInfo('table/trips');
    expect(Number(info.totalRecords)).toBe(2500);
  });

  it('lists actions and runs the health action', async () => {
    const actions = await client.listActions();
    expect(actions.map((action: { type: string }) => action.type)).toContain('cancel');
    const [health] = await client.doAction('health');
    expect(health).toMatchObject({ status: 'ok' });
  });

  // Its flight.proto numbers data_body 4 instead of the specification's 1000, so no
  // specification-conformant server's bodies reach it; the fields it does share with the
  // specification (data_header 2, app_metadata 3) are read through its protobufjs decoder.
  it('decodes the DoGet message headers with its own protobuf decoder', async () => {
    const ours = new FlightClient({ url: server.url });
    const info = await ours.getFlightInfo(pathDescriptor('table', 'trips'));
    ours.close();
    const raw = new FlightProtocolClient({
      host: '127.0.0.1',
      port: server.address.port,
      logger: quiet,
      protoPath,
    });
    try {
      raw._initializeClient();
      const call = raw.client.doGet({ ticket: Buffer.from(info.endpoints[0]!.ticket) });
      const headers: { type: number; length: number }[] = [];
      for await (const data of call as AsyncIterable<{ data_header: Buffer }>) {
        const message = Message.decode(data.data_header);
        headers.push({
          type: message.headerType,
          length: message.isRecordBatch() ? message.header().length : -1,
        });
      }
      expect(headers).toEqual([
        { type: MessageHeader.Schema, length: -1 },
        { type: MessageHeader.RecordBatch, length: 1000 },
        { type: MessageHeader.RecordBatch, length: 1000 },
        { type: MessageHeader.RecordBatch, length: 500 },
      ]);
    } finally {
      raw.close();
    }
  });
});
