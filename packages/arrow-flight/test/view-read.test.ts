import { connectDatabase, type SqlClient } from '@fraiseql/core';
import { createTestDatabase, requireService, waitFor, type TestDatabase } from '@fraiseql/testing';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commandDescriptor,
  createViewHandler,
  FlightClient,
  isFlightError,
  pathDescriptor,
  startFlightServer,
  type FlightServer,
} from '@fraiseql/arrow-flight';

const pg = await requireService('postgres');

// Text that COPY has to escape, and more: kept raw so every backslash reaches PostgreSQL.
const HOSTILE_DDL = String.raw`CREATE TABLE tb_hostile AS SELECT g AS id,
  (ARRAY[E'tab\there', E'new\nline', E'cr\rlf', E'back\\slash', '\N', '\\N', '', NULL,
         E'\b\f\x0b end', 'ünïcødé 🦀 漢字', repeat('é', 3000), E'\t\n\\'])[1 + g % 12] AS t,
  (g * 1.25)::float8 AS f, (g::int8 * 1000003) AS big,
  ('2024-01-01'::timestamptz + g * interval '1.5 s') AS at
  FROM generate_series(1, 3000) g;
CREATE VIEW va_hostile AS SELECT * FROM tb_hostile;`;

const TYPES_DDL = `
CREATE TABLE tb_types (
  id int PRIMARY KEY, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric(38,10),
  nu numeric, b bool, t text, u uuid, tstz timestamptz, ts timestamp, d date, tm time,
  j jsonb, arr int4[], by bytea, tenant text);
INSERT INTO tb_types VALUES
  (1, 32767, 2147483647, 9223372036854775807, 1.5, 'NaN', '1234567890123456789012345678.1234567890',
   '3.14159265358979323846264338327950288419716939937510', true, '🦀 ñ 漢字 "q"', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
   '1900-01-01 00:00:00.000001+00', '9999-12-31 23:59:59.999999', '0001-01-01', '23:59:59.999999',
   '{"a": [1, "x"]}', '{1,2,NULL}', '\\x00ff', 't1'),
  (2, -32768, -2147483648, -9223372036854775808, -0.25, 'Infinity', '-9999999999999999999999999999.9999999999',
   '-1e-20', false, '', '00000000-0000-0000-0000-000000000000',
   '200000-01-01 00:00:00.000001+00', '1969-12-31 23:59:59.999999', '5874897-12-31', '00:00:00',
   'null', '{}', '\\x', 't2'),
  (3, NULL, NULL, NULL, NULL, '-Infinity', NULL, 'NaN', NULL, NULL, NULL,
   'infinity', '294276-12-31 23:59:59', '1999-12-31 BC', NULL, NULL, NULL, NULL, 't1');
CREATE VIEW va_types AS SELECT * FROM tb_types;
CREATE VIEW va_secret AS SELECT 1 AS x;
CREATE VIEW v_not_allowed AS SELECT 1 AS x;
${HOSTILE_DDL}
CREATE TABLE tb_big AS SELECT g AS id, 'row ' || g AS label, (g % 7) AS bucket FROM generate_series(1, 200000) g;
CREATE VIEW va_big AS SELECT * FROM tb_big;`;

describe.skipIf(pg === undefined)('view reads from PostgreSQL', () => {
  let database: TestDatabase;
  let db: SqlClient;
  let server: FlightServer;
  let client: FlightClient;
  const paths: string[] = [];

  const read = async (command: Record<string, unknown>): Promise<Table> => {
    const info = await client.getFlightInfo(commandDescriptor({ kind: 'view', ...command }));
    return client.doGetTable(info.endpoints[0]!.ticket);
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
    await db.exec(TYPES_DDL);
    const base = db;
    // Counts which way each read went: COPY or cursor.
    db = {
      ...base,
      cursor: (text, params, options) => {
        paths.push('cursor');
        return base.cursor(text, params, options);
      },
      copyOut: (text, params, options) => {
        paths.push('copy');
        return base.copyOut!(text, params, options);
      },
    };
    server = await startFlightServer({
      port: 0,
      batch: { rows: 50_000, bytes: 1 << 24 },
      handlers: [
        createViewHandler({
          db,
          views: [
            { name: 'va_types', tenantColumn: 'tenant' },
            { name: 'va_big' },
            { name: 'va_hostile' },
            { name: 'va_secret', roles: ['admin-only'] },
          ],
        }),
      ],
      auth: {
        users: [
          { username: 'root', password: 'pw-root', roles: ['*'] },
          { username: 'ana', password: 'pw-ana', roles: ['analyst'], tenant: 't1' },
        ],
      },
    });
    client = new FlightClient({ url: server.url });
    await client.handshake({ username: 'root', password: 'pw-root' });
  });
  afterAll(async () => {
    client.close();
    await server.close();
    await db.close();
    await database.close();
  });

  it('maps every column type to its Arrow type, with the view real column types', async () => {
    const schema = await client.getSchema(pathDescriptor('view', 'va_types'));
    expect(Object.fromEntries(schema.fields.map((f) => [f.name, String(f.type)]))).toEqual({
      id: 'Int32',
      i2: 'Int16',
      i4: 'Int32',
      i8: 'Int64',
      f4: 'Float32',
      f8: 'Float64',
      n: 'Decimal[38e+10]',
      nu: 'Utf8',
      b: 'Bool',
      t: 'Utf8',
      u: 'Utf8',
      tstz: 'Timestamp<MICROSECOND, UTC>',
      ts: 'Timestamp<MICROSECOND>',
      d: 'Date32<DAY>',
      tm: 'Time64<MICROSECOND>',
      j: 'Utf8',
      arr: 'Utf8',
      by: 'Binary',
      tenant: 'Utf8',
    });
    expect(schema.fields.every((field) => field.nullable)).toBe(true);
  });

  it('keeps extreme values exact column by column, and NULL as null', async () => {
    const table = await read({ view: 'va_types', orderBy: [{ field: 'id' }] });
    expect(table.numRows).toBe(3);
    const col = (name: string) => table.getChild(name)!;
    const raw64 = (name: string) => col(name).data[0]!.values as BigInt64Array;
    expect(col('i2').toArray()).toEqual(Int16Array.from([32767, -32768, 0]));
    expect(col('i2').get(2)).toBeNull();
    expect([col('i4').get(0), col('i4').get(1), col('i4').get(2)]).toEqual([
      2147483647,
      -2147483648,
      null,
    ]);
    expect([...raw64('i8').subarray(0, 2)]).toEqual([9223372036854775807n, -9223372036854775808n]);
    expect(col('f8').get(0)).toBeNaN();
    expect([col('f8').get(1), col('f8').get(2)]).toEqual([Infinity, -Infinity]);
    const decimal = col('n').data[0]!.values as Uint32Array;
    const words = (i: number) =>
      BigInt.asIntN(
        128,
        [...decimal.subarray(i * 4, i * 4 + 4)].reduceRight(
          (acc, w) => (acc << 32n) | BigInt(w),
          0n,
        ),
      );
    expect(words(0)).toBe(12345678901234567890123456781234567890n);
    expect(words(1)).toBe(-99999999999999999999999999999999999999n);
    expect(col('n').get(2)).toBeNull();
    expect(col('nu').get(0)).toBe('3.14159265358979323846264338327950288419716939937510');
    expect(col('nu').get(2)).toBe('NaN');
    expect([col('b').get(0), col('b').get(1), col('b').get(2)]).toEqual([true, false, null]);
    expect([col('t').get(0), col('t').get(1)]).toEqual(['🦀 ñ 漢字 "q"', '']);
    expect(col('u').get(0)).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(raw64('tstz')[0]).toBe(BigInt(Date.UTC(1900, 0, 1)) * 1000n + 1n);
    expect(raw64('tstz')[1]).toBe(BigInt(Date.UTC(200_000, 0, 1)) * 1000n + 1n);
    expect(col('tstz').get(2)).toBeNull();
    expect(raw64('ts')[0]).toBe(BigInt(Date.UTC(9999, 11, 31, 23, 59, 59)) * 1000n + 999_999n);
    expect(raw64('ts')[1]).toBe(-1n);
    // PostgreSQL's latest timestamps lie beyond Timestamp(µs)'s int64 range: null, not wrapped.
    expect(col('ts').get(2)).toBeNull();
    const days = await db.query<{ days: number }>(
      `SELECT (d - '1970-01-01'::date) AS days FROM tb_types ORDER BY id`,
    );
    expect([...(col('d').data[0]!.values as Int32Array).subarray(0, 3)]).toEqual(
      days.rows.map((row) => row.days),
    );
    expect(days.rows[0]?.days).toBe(-719_162);
    expect(raw64('tm')[0]).toBe(86_399_999_999n);
    expect(JSON.parse(col('j').get(0) as string)).toEqual({ a: [1, 'x'] });
    expect(col('j').get(1)).toBe('null');
    expect(JSON.parse(col('arr').get(0) as string)).toEqual([1, 2, null]);
    expect(col('arr').get(1)).toBe('[]');
    expect([...(col('by').get(0) as Uint8Array)]).toEqual([0, 255]);
    expect(col('by').get(2)).toBeNull();
  });

  it('reads the same values through COPY as through a cursor, whatever the text holds', async () => {
    for (const view of ['va_hostile', 'va_types']) {
      paths.length = 0;
      const copied = await read({ view, orderBy: [{ field: 'id' }] });
      // A read of at most 1000 rows takes a cursor (fewer round trips to the first batch).
      const cursored = await read({ view, orderBy: [{ field: 'id' }], limit: 1000 });
      expect(paths).toEqual(['copy', 'cursor']);
      expect(copied.numRows).toBe(view === 'va_hostile' ? 3000 : 3);
      expect(cursored.numRows).toBe(Math.min(copied.numRows, 1000));
      for (const field of copied.schema.fields) {
        const a = copied.getChild(field.name)!.toArray() as ArrayLike<unknown>;
        const b = cursored.getChild(field.name)!.toArray() as ArrayLike<unknown>;
        expect(Array.from(a).slice(0, 1000), `${view}.${field.name}`).toEqual(Array.from(b));
        for (let i = 0; i < cursored.numRows; i++) {
          expect(copied.getChild(field.name)!.isValid(i)).toBe(
            cursored.getChild(field.name)!.isValid(i),
          );
        }
      }
    }
    // Through COPY, every escape comes back as the text it was.
    const hostile = await read({ view: 'va_hostile', orderBy: [{ field: 'id' }] });
    const texts = [
      'tab\there',
      'new\nline',
      'cr\rlf',
      'back\\slash',
      '\\N',
      '\\\\N',
      '',
      null,
      '\b\f\v end',
      'ünïcødé 🦀 漢字',
      'é'.repeat(3000),
      '\t\n\\',
    ];
    const t = hostile.getChild('t')!;
    expect(Array.from({ length: 12 }, (_, i): unknown => t.get(i))).toEqual(
      Array.from({ length: 12 }, (_, i) => texts[(i + 1) % 12]),
    );
  });

  it('filters with every operator, orders, limits and selects only the asked columns', async () => {
    const ids = async (where: Record<string, unknown>): Promise<number[]> => {
      const table = await read({
        view: 'va_types',
        columns: ['id'],
        where,
        orderBy: [{ field: 'id' }],
      });
      return Array.from(table.getChild('id')!.toArray() as Int32Array);
    };
    expect(await ids({ i4: { eq: 2147483647 } })).toEqual([1]);
    expect(await ids({ i4: { neq: 2147483647 } })).toEqual([2]);
    expect(await ids({ id: { gt: 1 } })).toEqual([2, 3]);
    expect(await ids({ id: { gte: 2, lte: 2 } })).toEqual([2]);
    expect(await ids({ id: { lt: 2 } })).toEqual([1]);
    expect(await ids({ id: { in: [1, 3] } })).toEqual([1, 3]);
    expect(await ids({ id: { nin: [1, 3] } })).toEqual([2]);
    expect(await ids({ t: { like: '%ñ%' } })).toEqual([1]);
    expect(await ids({ u: { isNull: true } })).toEqual([3]);
    expect(await ids({ t: { ilike: '%Ñ%' } })).toEqual([1]);
    expect(await ids({ or: [{ id: { eq: 1 } }, { id: { eq: 3 } }] })).toEqual([1, 3]);
    expect(await ids({ not: { id: { eq: 1 } } })).toEqual([2, 3]);
    expect(await ids({ and: [{ b: { eq: true } }, { tenant: { eq: 't1' } }] })).toEqual([1]);
    const page = await read({
      view: 'va_big',
      columns: ['label', 'id'],
      orderBy: [{ field: 'id', direction: 'desc' }],
      limit: 3,
      offset: 1,
    });
    expect(page.schema.fields.map((f) => f.name)).toEqual(['label', 'id']);
    expect(page.getChild('label')!.toArray()).toEqual(['row 199999', 'row 199998', 'row 199997']);
  });

  it('streams a large view in record batches of the configured size', async () => {
    const info = await client.getFlightInfo(pathDescriptor('view', 'va_big'));
    const sizes: number[] = [];
    for await (const batch of client.doGet(info.endpoints[0]!.ticket)) sizes.push(batch.numRows);
    // A read without a limit goes through COPY: the rows of its first chunk are a batch of
    // their own, then batches of the configured 50,000 rows.
    const [first = 0, ...rest] = sizes;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(8192);
    expect(rest.slice(0, -1)).toEqual([50_000, 50_000, 50_000]);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(200_000);
  });

  it('restricts a tenant-bound caller to its rows and refuses views without a tenant column', async () => {
    const ana = new FlightClient({ url: server.url });
    try {
      await ana.handshake({ username: 'ana', password: 'pw-ana' });
      const info = await ana.getFlightInfo(
        commandDescriptor({ kind: 'view', view: 'va_types', columns: ['id'] }),
      );
      const table = await ana.doGetTable(info.endpoints[0]!.ticket);
      expect([...(table.getChild('id')!.toArray() as Int32Array)].sort()).toEqual([1, 3]);
      // A tenant in the filter cannot widen it: the server's tenant condition is ANDed.
      const widened = await ana.getFlightInfo(
        commandDescriptor({
          kind: 'view',
          view: 'va_types',
          columns: ['id'],
          where: { or: [{ tenant: { eq: 't2' } }, { id: { gt: 0 } }] },
        }),
      );
      const rows = await ana.doGetTable(widened.endpoints[0]!.ticket);
      expect([...(rows.getChild('id')!.toArray() as Int32Array)].sort()).toEqual([1, 3]);
      const big = await failure(
        ana.doGetTable(
          (await client.getFlightInfo(pathDescriptor('view', 'va_big'))).endpoints[0]!.ticket,
        ),
      );
      expect(isFlightError(big, 'PERMISSION_DENIED')).toBe(true);
    } finally {
      ana.close();
    }
  });

  it('refuses views outside the allow-list, and roles that may not read one', async () => {
    for (const view of ['v_not_allowed', 'va_missing', 'pg_user', 'tb_types']) {
      const error = await failure(client.getFlightInfo(commandDescriptor({ kind: 'view', view })));
      expect(isFlightError(error, 'NOT_FOUND') || isFlightError(error, 'INVALID_ARGUMENT')).toBe(
        true,
      );
    }
    const ana = new FlightClient({ url: server.url });
    try {
      await ana.handshake({ username: 'ana', password: 'pw-ana' });
      const error = await failure(ana.getFlightInfo(pathDescriptor('view', 'va_secret')));
      expect(isFlightError(error, 'PERMISSION_DENIED')).toBe(true);
    } finally {
      ana.close();
    }
  });

  it('refuses or neutralises SQL injection through every structured field', async () => {
    const attempts: Record<string, unknown>[] = [
      { view: 'va_types; DROP TABLE tb_types' },
      { view: 'va_types', schema: 'public"; DROP TABLE tb_types; --' },
      { view: 'va_types', columns: ['id", (SELECT 1) AS "x'] },
      { view: 'va_types', columns: ['id FROM tb_types; DROP TABLE tb_types; --'] },
      { view: 'va_types', where: { 'id = 1 OR 1=1 --': { eq: 1 } } },
      { view: 'va_types', where: { id: { 'eq); DROP TABLE tb_types; --': 1 } } },
      { view: 'va_types', where: { id: { eq: { $raw: '1 OR 1=1' } } } },
      { view: 'va_types', orderBy: [{ field: 'id; DROP TABLE tb_types' }] },
      { view: 'va_types', orderBy: [{ field: 'id', direction: 'desc; DROP TABLE tb_types' }] },
      { view: 'va_types', limit: '1; DROP TABLE tb_types' },
      { view: 'va_types', extra: 'unknown keys are refused' },
    ];
    for (const attempt of attempts) {
      const error = await failure(
        client.getFlightInfo(commandDescriptor({ kind: 'view', ...attempt })),
      );
      expect(isFlightError(error, 'INVALID_ARGUMENT') || isFlightError(error, 'NOT_FOUND')).toBe(
        true,
      );
    }
    // A value is a parameter, never SQL: this matches nothing and changes nothing.
    const harmless = await read({
      view: 'va_types',
      columns: ['id'],
      where: { t: { eq: "x' OR '1'='1" } },
    });
    expect(harmless.numRows).toBe(0);
    const { rows } = await db.query<{ count: string }>(
      'SELECT count(*)::text AS count FROM tb_types',
    );
    expect(rows[0]?.count).toBe('3');
  });

  it('closes the cursor and its transaction within a second when the client goes away', async () => {
    const info = await client.getFlightInfo(pathDescriptor('view', 'va_big'));
    const controller = new AbortController();
    let batches = 0;
    const reading = (async () => {
      for await (const batch of client.doGet(info.endpoints[0]!.ticket, {
        signal: controller.signal,
      })) {
        expect(batch.numRows).toBeGreaterThan(0);
        batches++;
        controller.abort();
      }
    })().catch((error: unknown) => error);
    expect(isFlightError(await reading, 'CANCELLED')).toBe(true);
    expect(batches).toBe(1);
    const started = Date.now();
    await waitFor(
      async () => {
        const { rows } = await db.query<{ count: string }>(
          `SELECT count(*)::text AS count FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid()
             AND (state LIKE 'idle in transaction%' OR (state = 'active' AND query LIKE '%va_big%'))`,
        );
        return rows[0]?.count === '0';
      },
      { timeoutMs: 10_000, intervalMs: 50, message: 'cursor transaction closed' },
    );
    // Loose on a loaded machine; the bar is one second.
    expect(Date.now() - started).toBeLessThan(5000);
    const health = (await client.doAction('health'))[0] as { activeStreams: number };
    expect(health.activeStreams).toBe(0);
  });
});
