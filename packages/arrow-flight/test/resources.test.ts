import { connectDatabase, type SqlClient } from '@fraiseql/core';
import { createTestDatabase, requireService, waitFor, type TestDatabase } from '@fraiseql/testing';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commandDescriptor,
  createExportHandler,
  createGraphqlHandler,
  FlightClient,
  startFlightServer,
  type FlightServer,
} from '@fraiseql/arrow-flight';

const pg = await requireService('postgres');

/** Rows of the generated view a stalled client leaves unread. */
const HUGE_ROWS = 3_000_000;
/** Rows of the table ten clients export at once. */
const PARALLEL_ROWS = 1_000_000;
const PARALLEL_CLIENTS = 10;

/** Reads one batch of a ticket, then kills its own process (argv: url, base64 ticket). */
const DISCONNECTING_CLIENT = `
import { FlightClient } from '@fraiseql/arrow-flight';
const [url, ticket] = process.argv.slice(-2);
const client = new FlightClient({ url });
for await (const batch of client.doGet(Buffer.from(ticket, 'base64'))) {
  if (batch.numRows > 0) {
    process.stdout.write('first batch\\n', () => process.kill(process.pid, 'SIGKILL'));
    await new Promise(() => {});
  }
}`;

const SQL = `
CREATE VIEW v_huge AS
SELECT g AS id, jsonb_build_object('id', g, 'label', 'row-' || lpad(g::text, 16, '0'), 'value', g * 0.5) AS data
FROM generate_series(1, ${HUGE_ROWS}) g;
CREATE TABLE tb_million AS
SELECT g AS id, g * 1.5 AS value, 'name-' || lpad(g::text, 15, '0') AS name,
  timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' AS at
FROM generate_series(1, ${PARALLEL_ROWS}) g;`;

const SCHEMA = {
  types: [
    {
      name: 'Huge',
      fields: [
        { name: 'id', type: 'Int' },
        { name: 'label', type: 'String' },
        { name: 'value', type: 'Float' },
      ],
    },
  ],
  queries: [{ name: 'huge', return_type: 'Huge', returns_list: true, sql_source: 'v_huge' }],
};

describe.skipIf(pg === undefined)('resources of GraphQL and export streams', () => {
  let database: TestDatabase;
  let db: SqlClient;
  let server: FlightServer;
  let client: FlightClient;
  /** Rows the server has pulled from PostgreSQL (cursors and COPY streams) so far. */
  let rowsFetched = 0;

  const openTransactions = async (): Promise<number> => {
    const { rows } = await db.query<{ count: string }>(
      `SELECT count(*)::text AS count FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()
         AND (state LIKE 'idle in transaction%'
           OR (state = 'active' AND (query LIKE '%v_huge%' OR query LIKE '%tb_million%')))`,
    );
    return Number(rows[0]?.count);
  };
  const ticketOf = async (as: FlightClient, command: Record<string, unknown> & { kind: string }) =>
    (await as.getFlightInfo(commandDescriptor(command))).endpoints[0]!.ticket;

  beforeAll(async () => {
    database = await createTestDatabase(pg);
    db = await connectDatabase({ url: database.url, maxConnections: 16 });
    await db.exec(SQL);
    const counting: SqlClient = {
      ...db,
      cursor: (text, params, options) => {
        const source = db.cursor<unknown[]>(text, params, options);
        return (async function* () {
          for await (const chunk of source) {
            rowsFetched += chunk.length;
            yield chunk;
          }
        })() as never;
      },
      copyOut: (text, params, options) => {
        const source = db.copyOut!(text, params, options);
        return (async function* () {
          for await (const chunk of source) {
            // One newline per row: a newline inside a value is escaped (\n).
            for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) {
              rowsFetched += 1;
            }
            yield chunk;
          }
        })();
      },
    };
    server = await startFlightServer({
      port: 0,
      batch: { rows: 8192, bytes: 4 << 20 },
      limits: { maxStreamsPerClient: 16 },
      handlers: [
        createGraphqlHandler({ db: counting, schema: SCHEMA }),
        createExportHandler({ db: counting, tables: [{ name: 'tb_million' }] }),
      ],
    });
    client = new FlightClient({ url: server.url });
  });
  afterAll(async () => {
    client.close();
    await server.close();
    await db.close();
    await database.close();
  });

  it('pulls only a bounded number of rows, and keeps RSS bounded, while a client stalls', async () => {
    const ticket = await ticketOf(client, {
      kind: 'graphql',
      query: '{ huge { id label value } }',
    });
    rowsFetched = 0;
    const stream = client.doGet(ticket);
    try {
      const first = await stream.next();
      // A long read goes through COPY: its first batch holds the rows of the first chunk.
      const firstRows = first.done === true ? 0 : first.value.numRows;
      expect(firstRows).toBeGreaterThan(0);
      expect(firstRows).toBeLessThanOrEqual(8192);
      const rssAtFirstBatch = process.memoryUsage().rss;
      // The client now stops reading. Wait until the server stops pulling rows (same count on
      // ten polls in a row), then check how far it got.
      let last = -1;
      let unchanged = 0;
      await waitFor(
        () => {
          unchanged = rowsFetched === last ? unchanged + 1 : 0;
          last = rowsFetched;
          return unchanged >= 10;
        },
        { timeoutMs: 30_000, intervalMs: 200, message: 'server stopped pulling rows' },
      );
      const growth = process.memoryUsage().rss - rssAtFirstBatch;
      console.info(
        `stalled client: server pulled ${rowsFetched} of ${HUGE_ROWS} rows, RSS grew ${(growth / 2 ** 20).toFixed(1)} MiB`,
      );
      // What the client's 16 MiB HTTP/2 receive window (about 470,000 rows of ~36 bytes), the
      // stream buffers and the COPY stream's socket buffers hold: far from the whole result.
      expect(rowsFetched).toBeLessThan(1_000_000);
      expect(growth).toBeLessThan(256 * 2 ** 20);
    } finally {
      await stream.return(undefined);
    }
    await waitFor(async () => (await openTransactions()) === 0, {
      timeoutMs: 5000,
      intervalMs: 50,
      message: 'cursor closed after the stalled client returned',
    });
  });

  it('leaves no open cursor or transaction when a client disconnects mid-stream', async () => {
    for (const command of [
      { kind: 'graphql', query: '{ huge { id label } }' },
      { kind: 'export', table: 'tb_million' },
    ]) {
      const ticket = await ticketOf(client, command);
      // A separate process reads one batch and is killed: its connection drops with the
      // stream open, without a cancel.
      const child = spawn(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          DISCONNECTING_CLIENT,
          server.url,
          Buffer.from(ticket).toString('base64'),
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
          cwd: fileURLToPath(new URL('..', import.meta.url)),
        },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
      expect({ code, signal, output: output.trim() }).toEqual({
        code: null,
        signal: 'SIGKILL',
        output: 'first batch',
      });
      await waitFor(async () => (await openTransactions()) === 0, {
        timeoutMs: 5000,
        intervalMs: 50,
        message: `no cursor left open after ${command.kind} disconnect`,
      });
      await waitFor(async () => (await server.health()).activeStreams === 0, {
        timeoutMs: 5000,
        intervalMs: 50,
        message: 'stream unregistered',
      });
    }
  });

  it(`serves ${PARALLEL_CLIENTS} parallel DoGets of ${PARALLEL_ROWS} rows each, every row exactly once`, async () => {
    const expectedSum = (BigInt(PARALLEL_ROWS) * BigInt(PARALLEL_ROWS + 1)) / 2n;
    const clients = Array.from(
      { length: PARALLEL_CLIENTS },
      () => new FlightClient({ url: server.url }),
    );
    try {
      const results = await Promise.all(
        clients.map(async (reader) => {
          const ticket = await ticketOf(reader, { kind: 'export', table: 'tb_million' });
          let rows = 0;
          let sum = 0n;
          for await (const batch of reader.doGet(ticket)) {
            rows += batch.numRows;
            let part = 0;
            for (const id of batch.getChild('id')!.toArray() as Int32Array) part += id;
            sum += BigInt(part);
          }
          return { rows, sum };
        }),
      );
      for (const result of results)
        expect(result).toEqual({ rows: PARALLEL_ROWS, sum: expectedSum });
    } finally {
      for (const reader of clients) reader.close();
    }
    await waitFor(async () => (await openTransactions()) === 0, {
      timeoutMs: 5000,
      intervalMs: 50,
      message: 'every cursor closed',
    });
  }, 300_000);
});
