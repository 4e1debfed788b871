import { fromBinary } from '@bufbuild/protobuf';
import { connectDatabase, installCapture, migrate, type SqlClient } from '@fraiseql/core';
import { createTestDatabase, requireService, type TestDatabase } from '@fraiseql/testing';
import {
  Bool,
  Float64,
  makeVector,
  Table,
  TimestampMicrosecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commandDescriptor,
  createTableIngest,
  FlightClient,
  isFlightError,
  PG_TYPE_METADATA,
  sqlIngestDescriptor,
  startFlightServer,
  type FlightServer,
} from '@fraiseql/arrow-flight';
import { DoPutUpdateResultSchema } from '../src/gen/FlightSql_pb.js';

const pg = await requireService('postgres');

function orders(from: number, count: number, extra?: Record<string, unknown>): Table {
  const ids = Int32Array.from({ length: count }, (_, i) => from + i);
  return new Table({
    id: makeVector(ids),
    total: vectorFromArray(
      Array.from(ids, (id) => id * 1.25),
      new Float64(),
    ),
    note: vectorFromArray(
      Array.from(ids, (id) => (id % 3 === 0 ? null : `n°${id} ☕`)),
      new Utf8(),
    ),
    at: vectorFromArray(
      Array.from(ids, (id) => new Date(Date.UTC(2024, 0, 1) + id * 1000)),
      new TimestampMicrosecond('UTC'),
    ),
    ...extra,
  });
}

describe.skipIf(pg === undefined)('DoPut into allow-listed tb_ tables', () => {
  let database: TestDatabase;
  let db: SqlClient;
  let server: FlightServer;
  let client: FlightClient;

  const count = async (sql: string) =>
    Number((await db.query<{ n: string }>(sql)).rows[0]?.n ?? -1);
  /** The server notices a cancellation and rolls back asynchronously: wait up to 5 s for it. */
  const openTransactionsGone = async (): Promise<void> => {
    for (
      let i = 0;
      i < 50 &&
      (await count(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND datname = current_database()",
      )) > 0;
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (error: unknown) => error,
    );
  const put = (
    table: Table,
    command: Record<string, unknown> = { kind: 'ingest', table: 'tb_order' },
  ) => client.doPut(commandDescriptor(command as { kind: string }), table.batches);

  beforeAll(async () => {
    database = await createTestDatabase(pg);
    db = await connectDatabase({ url: database.url });
    await migrate(db);
    await db.exec(`CREATE TABLE tb_order (
      id int PRIMARY KEY, total numeric(12,2) NOT NULL, note text, at timestamptz,
      tenant_id text, CHECK (total < 100000))`);
    await db.exec('CREATE TABLE tb_other (id int PRIMARY KEY)');
    await installCapture(db, { table: 'tb_order', entityType: 'Order', idColumn: 'id' });
    server = await startFlightServer({
      port: 0,
      extensions: [createTableIngest({ db, tables: [{ name: 'tb_order' }] })],
    });
    client = new FlightClient({ url: server.url });
  });

  afterAll(async () => {
    client.close();
    await server.close();
    await db.close();
    await database.close();
  });

  it('writes every row in one transaction, through the capture trigger, and answers the count', async () => {
    const table = new Table([...orders(1, 1000).batches, ...orders(1001, 1500).batches]);
    expect(table.batches.length).toBe(2);
    const [answer] = await put(table);
    expect(fromBinary(DoPutUpdateResultSchema, answer!).recordCount).toBe(2500n);
    expect(await count('SELECT count(*) AS n FROM tb_order')).toBe(2500);
    const { rows } = await db.query<{ total: string; note: string | null; at: string }>(
      "SELECT total::text, note, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS at FROM tb_order WHERE id IN (2, 3) ORDER BY id",
    );
    expect(rows).toEqual([
      { total: '2.50', note: 'n°2 ☕', at: '2024-01-01 00:00:02' },
      { total: '3.75', note: null, at: '2024-01-01 00:00:03' },
    ]);
    expect(
      await count(
        "SELECT count(*) AS n FROM core.tb_entity_change_log WHERE object_type = 'Order'",
      ),
    ).toBe(2500);
  });

  it('refuses an unknown column or a mismatched type before writing any row', async () => {
    const unknown = await failure(
      put(orders(5000, 10, { nope: vectorFromArray(Array(10).fill('x'), new Utf8()) })),
    );
    expect(isFlightError(unknown, 'INVALID_ARGUMENT')).toBe(true);
    expect((unknown as Error).message).toContain('column 4 "nope" is not a column of tb_order');
    const mismatched = await failure(
      put(
        new Table({
          id: vectorFromArray(Int32Array.from([5000])),
          total: vectorFromArray([true], new Bool()),
        }),
      ),
    );
    expect((mismatched as Error).message).toContain(
      '"total" is Bool, which cannot be written into numeric(12,2)',
    );
    expect(await count('SELECT count(*) AS n FROM tb_order WHERE id >= 5000')).toBe(0);
  });

  it('writes nothing when a later batch violates a constraint, and names the rows', async () => {
    const before = await count('SELECT count(*) AS n FROM core.tb_entity_change_log');
    const table = new Table([...orders(6000, 500).batches, ...orders(2400, 200).batches]);
    const error = await failure(put(table));
    expect(isFlightError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toMatch(
      /rows 500–699: duplicate key value .*Key \(id\)=\(2400\) already exists.*nothing was written/,
    );
    expect(await count('SELECT count(*) AS n FROM tb_order WHERE id >= 6000')).toBe(0);
    expect(await count('SELECT count(*) AS n FROM core.tb_entity_change_log')).toBe(before);
  });

  it('writes nothing when the client cuts the stream mid-way', async () => {
    const controller = new AbortController();
    async function* batches() {
      yield* orders(8000, 300).batches;
      // The server has the first batch; the client goes away before the end of the stream.
      await new Promise((resolve) => setTimeout(resolve, 300));
      controller.abort();
      yield* orders(8300, 300).batches;
    }
    const error = await failure(
      client.doPut(commandDescriptor({ kind: 'ingest', table: 'tb_order' }), batches(), {
        signal: controller.signal,
      }),
    );
    expect(error).toBeInstanceOf(Error);
    await openTransactionsGone();
    expect(await count('SELECT count(*) AS n FROM tb_order WHERE id >= 8000')).toBe(0);
  });

  it('commits nothing for uploads cancelled after their last batch, where a Node client half-closes before it resets', async () => {
    // grpc-js (through Node's http2) ends the stream cleanly and resets it right after, so the
    // server reads a complete stream first; none of these may be taken for a finished upload.
    for (let i = 0; i < 20; i++) {
      const controller = new AbortController();
      async function* batches() {
        yield* orders(9000 + i * 10, 10).batches;
        // The server has written the rows and waits for the next message when the cut comes.
        await new Promise((resolve) => setTimeout(resolve, 50));
        controller.abort();
      }
      const error = await failure(
        client.doPut(commandDescriptor({ kind: 'ingest', table: 'tb_order' }), batches(), {
          signal: controller.signal,
        }),
      );
      expect(error).toMatchObject({ code: 'CANCELLED' });
    }
    await openTransactionsGone();
    expect(await count('SELECT count(*) AS n FROM tb_order WHERE id >= 9000')).toBe(0);
  });

  it('answers GetSchema of an ingest command with the columns the table accepts', async () => {
    const schema = await client.getSchema(commandDescriptor({ kind: 'ingest', table: 'tb_order' }));
    expect(
      schema.fields.map((f) => [
        f.name,
        String(f.type),
        f.nullable,
        f.metadata.get(PG_TYPE_METADATA),
      ]),
    ).toEqual([
      ['id', 'Int32', false, 'integer'],
      ['total', 'Decimal[12e+2]', false, 'numeric(12,2)'],
      ['note', 'Utf8', true, 'text'],
      ['at', 'Timestamp<MICROSECOND, UTC>', true, 'timestamp with time zone'],
      ['tenant_id', 'Utf8', true, 'text'],
    ]);
    const other = await failure(
      client.getSchema(commandDescriptor({ kind: 'ingest', table: 'tb_other' })),
    );
    expect(isFlightError(other, 'NOT_FOUND')).toBe(true);
  });

  it('refuses tables outside the allow-list, also through Flight SQL CommandStatementIngest', async () => {
    const error = await failure(put(orders(7000, 1), { kind: 'ingest', table: 'tb_other' }));
    expect(isFlightError(error, 'NOT_FOUND')).toBe(true);
    const ingest = (table: string) => sqlIngestDescriptor(table);
    const refused = await failure(
      client.doPut(ingest('tb_order"; DROP TABLE tb_other; --'), orders(7000, 1).batches),
    );
    expect(isFlightError(refused, 'NOT_FOUND')).toBe(true);
    const [answer] = await client.doPut(ingest('tb_order'), orders(7000, 3).batches);
    expect(fromBinary(DoPutUpdateResultSchema, answer!).recordCount).toBe(3n);
    expect(await count("SELECT count(*) AS n FROM pg_tables WHERE tablename = 'tb_other'")).toBe(1);
  });
});
