import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  commandDescriptor,
  FlightClient,
  pathDescriptor,
  putUpdateCount,
  readEvents,
} from '@fraiseql/arrow-flight';
import { Table, tableFromIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type FraiseQLServer } from '../src/fraiseql-server.js';
import { loadServerSettings, type ServerSettings } from '../src/server-settings.js';
import { startupProblem } from '../src/startup-problem.js';

const ADMIN_TOKEN = 'test-operator-token-0123456789';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function settingsFor(env: NodeJS.ProcessEnv): Promise<ServerSettings> {
  const dir = await mkdtemp(join(tmpdir(), 'fraiseql-server-flight-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return loadServerSettings(
    {
      FRAISEQL_HTTP_PORT: '0',
      FRAISEQL_FLIGHT_PORT: '0',
      FRAISEQL_DEMO_INTERVAL: '1h',
      FRAISEQL_ADMIN_TOKEN: ADMIN_TOKEN,
      FRAISEQL_DATA_DIR: dir,
      ...env,
    },
    dir,
  );
}

async function start(env: NodeJS.ProcessEnv = {}): Promise<FraiseQLServer> {
  const server = await startServer(await settingsFor(env), pino({ level: 'silent' }));
  cleanups.push(() => server.close());
  return server;
}

describe('reference server: Arrow Flight on the embedded database', () => {
  it('serves the demo view and the live event tail with the admin token as credentials, and the HTTP Arrow fallback', async () => {
    const server = await start();
    expect(server.flight?.server.address.host).toBe('127.0.0.1');
    const client = new FlightClient({ url: server.flight!.server.url });
    cleanups.push(() => {
      client.close();
      return Promise.resolve();
    });

    // Without the token nothing is served.
    await expect(client.getFlightInfo(pathDescriptor('events'))).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await client.handshake({ apiKey: ADMIN_TOKEN });
    const listed: string[] = [];
    for await (const info of client.listFlights()) {
      listed.push(info.descriptor?.path.join('/') ?? '');
    }
    expect(listed).toEqual(expect.arrayContaining(['view/demo.va_order', 'events', 'events/tail']));

    // A live tail sees the next demo order as it commits.
    const controller = new AbortController();
    const seen: string[] = [];
    const tail = (async () => {
      for await (const { batch } of readEvents(
        client,
        { tail: true, entityTypes: ['Order'], eventTypes: ['INSERT'] },
        { signal: controller.signal },
      )) {
        for (const row of batch.toArray() as unknown as { entity_type: string }[])
          seen.push(row.entity_type);
      }
    })().catch((error: unknown) => {
      if (!controller.signal.aborted) throw error;
    });
    const written = async () => {
      const response = await fetch(`${server.httpUrl}/demo/orders`, { method: 'POST' });
      expect(response.status).toBe(202);
    };
    // The tail starts at "now": keep writing until one order arrives.
    const deadline = Date.now() + 20_000;
    while (seen.length === 0 && Date.now() < deadline) {
      await written();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    controller.abort();
    await tail;
    expect(seen[0]).toBe('Order');

    // The same ticket format over HTTP, as an Arrow IPC stream, behind the admin token.
    const info = await client.getFlightInfo(
      commandDescriptor({
        kind: 'view',
        schema: 'demo',
        view: 'va_order',
        columns: ['id', 'total'],
      }),
    );
    const ticket = new TextDecoder().decode(info.endpoints[0]!.ticket);
    const refused = await fetch(`${server.httpUrl}/flight/stream`, {
      method: 'POST',
      body: ticket,
    });
    expect(refused.status).toBe(401);
    const response = await fetch(`${server.httpUrl}/flight/stream`, {
      method: 'POST',
      body: ticket,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    const table = tableFromIPC(new Uint8Array(await response.arrayBuffer()));
    expect(table.schema.fields.map((field) => field.name)).toEqual(['id', 'total']);
    expect(table.numRows).toBeGreaterThan(0);
    const forged = await fetch(`${server.httpUrl}/flight/stream`, {
      method: 'POST',
      body: `${ticket.slice(0, -2)}xx`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(forged.status).toBe(400);
  }, 60_000);

  it('says in one line which setting to change when the Flight port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise((resolve) => {
          blocker.close(() => {
            resolve();
          });
        }),
    );
    const port = (blocker.address() as { port: number }).port;
    const settings = await settingsFor({ FRAISEQL_FLIGHT_PORT: String(port) });
    const error = await startServer(settings, pino({ level: 'silent' })).catch((e: unknown) => e);
    const line = startupProblem(error, settings);
    expect(line).toContain(`127.0.0.1:${String(port)} is already in use`);
    expect(line).toContain('FRAISEQL_FLIGHT_PORT');
    expect(line).toContain('FRAISEQL_FLIGHT=off');
    expect(line?.split('\n')).toHaveLength(1);
  }, 60_000);

  it('takes DoPut uploads into the tables of FRAISEQL_FLIGHT_INGEST_TABLES only, and Flight SQL on the same port', async () => {
    const server = await start({ FRAISEQL_FLIGHT_INGEST_TABLES: 'demo.tb_customer' });
    const client = new FlightClient({ url: server.flight!.server.url, token: ADMIN_TOKEN });
    cleanups.push(() => {
      client.close();
      return Promise.resolve();
    });
    const customers = new Table({
      name: vectorFromArray(['Ada ☕', 'Grace'], new Utf8()),
      email: vectorFromArray(['ada@example.com', 'grace@example.com'], new Utf8()),
    });
    const ingest = (table: string) =>
      client.doPut(commandDescriptor({ kind: 'ingest', schema: 'demo', table }), customers.batches);
    const [answer] = await ingest('tb_customer');
    expect(putUpdateCount(answer!)).toBe(2n);
    await expect(ingest('tb_order')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // The rows went through the capture trigger: their events are on the event stream.
    const names: string[] = [];
    for await (const { batch } of readEvents(client, {
      entityTypes: ['Customer'],
      eventTypes: ['INSERT'],
    })) {
      for (const row of batch.toArray() as unknown as { data: string }[]) {
        names.push((JSON.parse(row.data) as { name: string }).name);
      }
    }
    expect(names).toEqual(expect.arrayContaining(['Ada ☕', 'Grace']));
    // And to a durable consumer over DoExchange, which keeps its progress in the database.
    const consumed: string[] = [];
    const exchange = client.exchangeEvents({ consumer: 'crm-sync', entityTypes: ['Customer'] });
    for await (const batch of exchange) {
      for (const row of batch.batch.toArray() as unknown as { data: string }[]) {
        consumed.push((JSON.parse(row.data) as { name: string }).name);
      }
      await batch.ack();
      if (consumed.includes('Grace')) break;
    }
    expect(consumed).toEqual(expect.arrayContaining(['Ada ☕', 'Grace']));
    const consumers = await server.db.query<{ consumer: string }>(
      'SELECT consumer FROM core.tb_observer_checkpoint',
    );
    expect(consumers.rows.map((row) => row.consumer).join(',')).toContain('flight:crm-sync');
    // Flight SQL answers on the same port.
    const counted = await client.query('SELECT count(*) AS n FROM demo.va_order');
    expect(counted.numRows).toBe(1);
    const schema = await client.getSchema(
      commandDescriptor({ kind: 'ingest', schema: 'demo', table: 'tb_customer' }),
    );
    expect(schema.fields.map((field) => field.name)).toContain('email');
  }, 60_000);

  it('refuses every DoPut when no ingest table is configured (the default), and runs Flight SQL as FRAISEQL_FLIGHT_SQL_ROLE', async () => {
    const server = await start({ FRAISEQL_FLIGHT_SQL_ROLE: 'fraiseql_no_such_role' });
    const client = new FlightClient({ url: server.flight!.server.url, token: ADMIN_TOKEN });
    cleanups.push(() => {
      client.close();
      return Promise.resolve();
    });
    const rows = new Table({ name: vectorFromArray(['x'], new Utf8()) });
    await expect(
      client.doPut(
        commandDescriptor({ kind: 'ingest', schema: 'demo', table: 'tb_customer' }),
        rows.batches,
      ),
    ).rejects.toMatchObject({ code: 'UNIMPLEMENTED' });
    // Statements run as the configured role; this one does not exist, so they fail.
    await expect(client.query('SELECT count(*) AS n FROM demo.va_order')).rejects.toMatchObject({
      code: 'INTERNAL',
    });
  }, 60_000);

  it('runs without Flight when FRAISEQL_FLIGHT=off', async () => {
    const server = await start({ FRAISEQL_FLIGHT: 'off' });
    expect(server.flight).toBeUndefined();
    const response = await fetch(`${server.httpUrl}/flight/stream`, {
      method: 'POST',
      body: 'x',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(404);
  }, 60_000);
});
