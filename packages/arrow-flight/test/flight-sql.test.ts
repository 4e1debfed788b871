import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connectDatabase, type SqlClient } from '@fraiseql/core';
import { createTestDatabase, requireService, type TestDatabase } from '@fraiseql/testing';
import {
  tableFromArrays,
  TimestampMicrosecond,
  UnionMode,
  vectorFromArray,
  Table,
} from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFlightSqlService,
  FlightClient,
  isFlightError,
  prepareStatement,
  startFlightServer,
  type FlightServer,
} from '@fraiseql/arrow-flight';

const pg = await requireService('postgres');
const CHILD = fileURLToPath(new URL('./fixtures/flight-sql-rust-client.mjs', import.meta.url));
// Modest by default so CI stays fast; bench/ reads 1,000,000 rows the same way.
const BIG_ROWS = Number(process.env.FLIGHT_SQL_TEST_ROWS ?? 100_000);

const DDL = `
CREATE TABLE tb_item (
  id int PRIMARY KEY, name text, price numeric(12,2), big numeric(38,10), at timestamptz,
  local_at timestamp, day date, ok bool, tenant text NOT NULL, tags int[]);
INSERT INTO tb_item VALUES
  (1, 'café ☕ 漢字 "q"', 12.50, 1234567890123456789012345678.1234567890,
   '2024-01-02 03:04:05.123456+00', '1969-12-31 23:59:59.999999', '2024-02-29', true, 't1', '{1,2}'),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 't2', NULL),
  (3, '', -0.01, -1e-10, '1900-01-01 00:00:00+00', '2200-01-01 00:00:00', '0001-01-01', false, 't1', '{}');
CREATE VIEW va_item AS SELECT * FROM tb_item;
CREATE VIEW va_big AS SELECT g AS id, 'row ' || g AS label FROM generate_series(1, ${BIG_ROWS}) g;
CREATE TABLE tb_secret (x text);
INSERT INTO tb_secret VALUES ('do not read');`;

interface ChildResult {
  ok: boolean;
  rows?: number;
  columns?: { name: string; type: string; nullable: boolean }[];
  values?: Record<string, unknown>[];
  error?: string;
}

describe.skipIf(pg === undefined)('Flight SQL over PostgreSQL', () => {
  let database: TestDatabase;
  let db: SqlClient;
  let server: FlightServer;
  let client: FlightClient;

  /** Runs calls through the Rust client in a child process (it aborts its process on some errors). */
  const rust = async (calls: Record<string, unknown>[]): Promise<ChildResult[]> => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [CHILD, JSON.stringify({ port: server.address.port, calls })],
      { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 120_000 },
    );
    return stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ChildResult);
  };

  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (error: unknown) => error,
    );

  beforeAll(async () => {
    database = await createTestDatabase(pg);
    db = await connectDatabase({ url: database.url });
    await db.exec(DDL);
    server = await startFlightServer({
      port: 0,
      batch: { rows: 20_000, bytes: 1 << 22 },
      extensions: [
        createFlightSqlService({
          db,
          schemas: [{ name: 'public', tenantColumn: 'tenant' }],
          maxRows: BIG_ROWS,
        }),
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

  it('answers the Rust client: NULLs, timestamps, decimals, booleans and unicode', async () => {
    const [result] = await rust([
      {
        op: 'query',
        query: 'SELECT id, name, price, big, at, local_at, day, ok, tags FROM va_item ORDER BY id',
      },
    ]);
    expect(result?.ok).toBe(true);
    expect(result?.rows).toBe(3);
    expect(result?.columns?.map((c) => `${c.name}:${c.type}`)).toEqual([
      'id:Int32',
      'name:Utf8',
      'price:Decimal[12e+2]',
      'big:Decimal[38e+10]',
      'at:Timestamp<MICROSECOND, UTC>',
      'local_at:Timestamp<MICROSECOND>',
      'day:Date32<DAY>',
      'ok:Bool',
      'tags:Utf8',
    ]);
    const [one, two, three] = result?.values ?? [];
    expect(one).toMatchObject({ id: 1, name: 'café ☕ 漢字 "q"', ok: true, tags: '[1,2]' });
    expect(one?.at).toBe(Date.UTC(2024, 0, 2, 3, 4, 5) + 123.456);
    expect(one?.local_at).toBe(-0.001);
    expect(two).toMatchObject({
      id: 2,
      name: null,
      price: null,
      big: null,
      at: null,
      ok: null,
      tags: null,
    });
    expect(three).toMatchObject({ id: 3, name: '', ok: false, tags: '[]' });
  });

  it('checks decimal digits exactly through our client', async () => {
    const table = await client.query('SELECT price, big FROM va_item WHERE id = 1');
    const price = table.getChild('price')!.data[0]!.values as Uint32Array;
    expect(price[0]).toBe(1250);
    const big = table.getChild('big')!.data[0]!.values as Uint32Array;
    let unscaled = 0n;
    for (let w = 3; w >= 0; w--) unscaled = (unscaled << 32n) | BigInt(big[w]!);
    expect(unscaled).toBe(12345678901234567890123456781234567890n);
  });

  it(`reads ${BIG_ROWS} rows through the Rust client`, async () => {
    const [result] = await rust([{ op: 'query', query: 'SELECT id, label FROM va_big' }]);
    expect(result).toMatchObject({ ok: true, rows: BIG_ROWS });
    expect(result?.values?.[0]).toEqual({ id: 1, label: 'row 1' });
  });

  it('serves the metadata calls to the Rust client with the specification’s schemas', async () => {
    const [catalogs, schemas, tables] = await rust([
      { op: 'catalogs' },
      { op: 'schemas', options: {} },
      { op: 'tables', options: { includeSchema: true, tableNameFilterPattern: 'va\\_%' } },
    ]);
    expect(catalogs).toMatchObject({
      ok: true,
      rows: 1,
      values: [{ catalog_name: database.name }],
    });
    expect(schemas?.columns).toEqual([
      { name: 'catalog_name', type: 'Utf8', nullable: true },
      { name: 'db_schema_name', type: 'Utf8', nullable: false },
    ]);
    expect(schemas?.values).toEqual([{ catalog_name: database.name, db_schema_name: 'public' }]);
    expect(tables?.columns?.map((c) => `${c.name}:${c.type}:${String(c.nullable)}`)).toEqual([
      'catalog_name:Utf8:true',
      'db_schema_name:Utf8:true',
      'table_name:Utf8:false',
      'table_type:Utf8:false',
      'table_schema:Binary:false',
    ]);
    expect(tables?.values?.map((row) => row.table_name)).toEqual(['va_big', 'va_item']);
  });

  it('returns bad and forbidden queries to the Rust client as errors, and it keeps working', async () => {
    const results = await rust([
      { op: 'query', query: 'SELEC 1' },
      { op: 'query', query: 'DELETE FROM va_item' },
      { op: 'query', query: 'SELECT * FROM tb_secret' },
      { op: 'query', query: 'SELECT pg_sleep(5)' },
      { op: 'query', query: 'SELECT 1; DROP TABLE tb_item' },
      { op: 'query', query: 'SELECT no_such_column FROM va_item' },
      { op: 'query', query: 'SELECT count(*) AS n FROM va_item' },
    ]);
    expect(results.slice(0, 6).map((r) => r.ok)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(results[6]).toMatchObject({ ok: true, values: [{ n: '3' }] });
    const { rows } = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM tb_item');
    expect(rows[0]?.n).toBe('3');
  });

  it('answers refusals with INVALID_ARGUMENT and the parser position', async () => {
    const error = await failure(client.query('SELECT id FROM va_item WHERE pg_sleep(1) IS NULL'));
    expect(isFlightError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toContain(
      'function "pg_sleep" at position 29 (line 1, column 30)',
    );
    const unknown = await failure(client.query('SELECT nope FROM va_item'));
    expect((unknown as Error).message).toContain('column "nope" does not exist');
  });

  it('filters rows by the tenant claim on the server', async () => {
    const tenantServer = await startFlightServer({
      port: 0,
      auth: { users: [{ username: 'ana', password: 'pw-ana', roles: ['analyst'], tenant: 't1' }] },
      extensions: [
        createFlightSqlService({ db, schemas: [{ name: 'public', tenantColumn: 'tenant' }] }),
      ],
    });
    const ana = new FlightClient({ url: tenantServer.url });
    try {
      await ana.handshake({ username: 'ana', password: 'pw-ana' });
      const table = await ana.query(
        "SELECT i.id FROM va_item i WHERE i.tenant = 't2' OR true ORDER BY 1",
      );
      expect(table.getChild('id')?.toArray()).toEqual(Int32Array.from([1, 3]));
      const union = await ana.query(
        'SELECT id FROM va_item UNION ALL SELECT id FROM (SELECT * FROM public.va_item) x ORDER BY 1',
      );
      expect(union.numRows).toBe(4);
    } finally {
      ana.close();
      await tenantServer.close();
    }
  });

  it('answers GetSqlInfo, GetTableTypes and GetPrimaryKeys', async () => {
    const info = await client.sqlMetadata({ command: 'sql_info', info: [0, 3, 504, 525] });
    const [name, value] = info.schema.fields;
    expect([name?.name, String(name?.type), name?.nullable]).toEqual([
      'info_name',
      'Uint32',
      false,
    ]);
    expect([value?.name, value?.nullable]).toEqual(['value', false]);
    expect((value?.type as { mode: UnionMode }).mode).toBe(UnionMode.Dense);
    expect((value?.type as { children: { name: string }[] }).children.map((c) => c.name)).toEqual([
      'string_value',
      'bool_value',
      'bigint_value',
      'int32_bitmask',
      'string_list',
      'int32_to_int32_list_map',
    ]);
    expect(
      info
        .toArray()
        .map((row: { info_name: number; value: unknown }) => [row.info_name, row.value]),
    ).toEqual([
      [0, 'FraiseQL'],
      [3, true],
      [504, '"'],
      [525, 3],
    ]);
    const types = await client.sqlMetadata({ command: 'table_types' });
    expect(types.getChild('table_type')?.toArray()).toContain('VIEW');
    // Views have no primary key; tb_item is not allow-listed (the default pattern is va_/ta_/tv_).
    const keys = await client.sqlMetadata({ command: 'primary_keys', table: 'tb_item' });
    expect(keys.numRows).toBe(0);
    expect(keys.schema.fields.map((f) => f.name)).toEqual([
      'catalog_name',
      'db_schema_name',
      'table_name',
      'column_name',
      'key_name',
      'key_sequence',
    ]);
  });

  it('runs prepared statements with parameters bound through DoPut, values never spliced', async () => {
    const statement = await prepareStatement(
      client,
      'SELECT id, name FROM va_item WHERE name = $1 OR (id = $2 AND at < $3) ORDER BY id',
    );
    try {
      expect(statement.parameterSchema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual([
        '$1:Utf8',
        '$2:Int32',
        '$3:Timestamp<MICROSECOND, UTC>',
      ]);
      expect(statement.datasetSchema.fields.map((f) => f.name)).toEqual(['id', 'name']);
      const params = (name: string, id: number, at: Date) =>
        new Table({
          $1: vectorFromArray([name]),
          $2: vectorFromArray(Int32Array.from([id])),
          $3: vectorFromArray([at], new TimestampMicrosecond('UTC')),
        });
      const found = await statement.execute(params('', 1, new Date('2030-01-01T00:00:00Z')));
      expect(found.getChild('id')?.toArray()).toEqual(Int32Array.from([1, 3]));
      const injected = await statement.execute(
        params("x' OR '1'='1", 99, new Date('2030-01-01T00:00:00Z')),
      );
      expect(injected.numRows).toBe(0);
    } finally {
      await statement.close();
    }
    const closed = await failure(statement.execute());
    expect(isFlightError(closed, 'NOT_FOUND')).toBe(true);
    const wrongCount = await prepareStatement(client, 'SELECT id FROM va_item WHERE id = $1');
    const refused = await failure(
      wrongCount.execute(tableFromArrays({ a: Int32Array.from([1]), b: Int32Array.from([2]) })),
    );
    expect((refused as Error).message).toContain('takes 1 parameter(s); 2 column(s) bound');
    await wrongCount.close();
  });

  it('runs statements as the configured database role, with only its grants', async () => {
    const role = `fraiseql_sql_${Math.random().toString(36).slice(2, 10)}`;
    await db.exec(`CREATE ROLE ${role} NOLOGIN;
      CREATE VIEW va_whoami AS SELECT current_user::text AS who;
      CREATE VIEW ta_other AS SELECT 1 AS n;
      CREATE VIEW va_slow AS SELECT pg_sleep(5)::text AS slept;
      GRANT SELECT ON va_whoami, va_slow TO ${role}`);
    const roleServer = await startFlightServer({
      port: 0,
      extensions: [
        createFlightSqlService({
          db,
          dbRole: role,
          statementTimeoutMs: 200,
          relations: [
            { name: 'va_whoami' },
            { name: 'va_item' },
            { name: 'va_slow' },
            { name: 'ta_other', dbRole: `${role}_missing` },
          ],
        }),
      ],
    });
    const reader = new FlightClient({ url: roleServer.url });
    try {
      const who = await reader.query('SELECT who FROM va_whoami');
      expect(who.getChild('who')?.get(0)).toBe(role);
      // The server's own user reads va_item; the statement's role has no grant on it.
      const denied = await failure(reader.query('SELECT id FROM va_item'));
      expect(isFlightError(denied, 'PERMISSION_DENIED')).toBe(true);
      expect((denied as Error).message).toContain('permission denied for view va_item');
      const mixed = await failure(
        reader.query('SELECT who FROM va_whoami, ta_other WHERE ta_other.n = 1'),
      );
      expect(isFlightError(mixed, 'INVALID_ARGUMENT')).toBe(true);
      expect((mixed as Error).message).toContain('different database roles');
      // A configured role that does not exist is the server's fault: an internal error.
      const missing = await failure(reader.query('SELECT n FROM ta_other'));
      expect(isFlightError(missing, 'INTERNAL')).toBe(true);
      const slow = await failure(reader.query('SELECT slept FROM va_slow'));
      expect(isFlightError(slow, 'DEADLINE_EXCEEDED')).toBe(true);
      // Nothing stuck to the pool: the server's own queries still run as its own user.
      const { rows } = await db.query<{ who: string }>('SELECT current_user::text AS who');
      expect(rows[0]?.who).not.toBe(role);
      expect((await reader.query('SELECT who FROM va_whoami')).numRows).toBe(1);
    } finally {
      reader.close();
      await roleServer.close();
      await db.exec(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  });

  it('answers unsupported commands with UNIMPLEMENTED', async () => {
    const error = await failure(
      client
        .sqlMetadata({ command: 'catalogs' })
        .then(() => client.doAction('BeginTransaction', {})),
    );
    expect(isFlightError(error, 'UNIMPLEMENTED')).toBe(true);
  });
});
