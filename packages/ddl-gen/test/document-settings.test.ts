import { connectDatabase, type SqlClient } from '@fraiseql/core';
import { createTestDatabase, requireService, type TestDatabase } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTaDdl, generateTvDdl, loadSchema, planProjection } from '../src/index.js';

const pg = await requireService('postgres');

// A document made of values PostgreSQL renders according to the session: a timestamptz (offset
// of TimeZone), a date cast to text (DateStyle), an interval (IntervalStyle), a float8
// (extra_float_digits) and a SQL function whose body finds its table on the search path.
const PROBE_SQL = `
CREATE TABLE tb_probe (
  pk_probe bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
  happened_at timestamptz NOT NULL,
  day date NOT NULL,
  took interval NOT NULL,
  ratio double precision NOT NULL,
  label text NOT NULL
);
CREATE TABLE probe_suffix (suffix text NOT NULL);
INSERT INTO probe_suffix VALUES ('-public');
CREATE SCHEMA shadow;
CREATE TABLE shadow.probe_suffix (suffix text NOT NULL);
INSERT INTO shadow.probe_suffix VALUES ('-shadow');
CREATE FUNCTION probe_label(text) RETURNS text LANGUAGE sql STABLE
  AS 'SELECT $1 || (SELECT suffix FROM probe_suffix)';
CREATE VIEW v_probe AS
SELECT p.id, jsonb_build_object(
  'id', p.id,
  'happenedAt', p.happened_at,
  'dayText', p.day::text,
  'took', p.took,
  'ratio', p.ratio,
  'label', probe_label(p.label)
) AS data
FROM tb_probe p;
INSERT INTO tb_probe (happened_at, day, took, ratio, label)
VALUES ('2024-03-01 12:00:00+00', '2024-03-05', '1 day 2 hours', 0.1::float8 + 0.2::float8, 'probe');
`;

const PROBE_SCHEMA = {
  types: [
    {
      name: 'Probe',
      fields: [
        { name: 'id', type: 'ID' },
        { name: 'happenedAt', type: 'DateTime' },
        { name: 'dayText', type: 'String' },
        { name: 'took', type: 'String' },
        { name: 'ratio', type: 'Float' },
        { name: 'label', type: 'String' },
      ],
    },
  ],
  queries: [{ name: 'probes', return_type: 'Probe', sql_source: 'v_probe' }],
};

/** The document every writer must produce, whatever its session settings. */
const EXPECTED = {
  happenedAt: '2024-03-01T12:00:00+00:00',
  dayText: '2024-03-05',
  took: '1 day 02:00:00',
  ratio: 0.30000000000000004,
  label: 'probe-public',
};

const SETTINGS: readonly (readonly [string, string])[] = [
  ['TimeZone', 'Asia/Kolkata'],
  ['DateStyle', 'SQL, DMY'],
  ['IntervalStyle', 'iso_8601'],
  ['extra_float_digits', '0'],
  ['search_path', 'shadow, public'],
];

describe.skipIf(pg === undefined)('projection documents and the writer session', () => {
  let database: TestDatabase;
  let db: SqlClient;

  const document = async (): Promise<unknown> =>
    (await db.query<{ data: unknown }>('SELECT data FROM tv_probe')).rows[0]?.data;

  /** Runs `sql` in a transaction whose session has `name = value`. */
  const writeWith = (name: string, value: string, sql: string): Promise<void> =>
    db.transaction(async (tx) => {
      await tx.query('SELECT set_config($1, $2, true)', [name, value]);
      await tx.exec(sql);
    });

  beforeAll(async () => {
    database = await createTestDatabase(pg);
    db = await connectDatabase({ url: database.url, maxConnections: 2 });
    await db.exec(PROBE_SQL);
    const plan = await planProjection(loadSchema(PROBE_SCHEMA), 'Probe', {
      db,
      rootTable: 'tb_probe',
    });
    await db.exec(generateTvDdl(plan).sql);
    await db.exec(generateTaDdl(plan).sql);
  });

  afterAll(async () => {
    await db.close();
    await database.close();
  });

  it('fills the document in the canonical form', async () => {
    expect(await document()).toMatchObject(EXPECTED);
    expect((await db.query('SELECT * FROM check_tv_probe()')).rows).toEqual([]);
  });

  it.each(SETTINGS)('a writer with %s = %s writes the same document', async (name, value) => {
    // Touch the row so the refresh recomputes the document in the writer's session.
    await writeWith(name, value, `UPDATE tb_probe SET label = label || '!'`);
    await writeWith(name, value, `UPDATE tb_probe SET label = rtrim(label, '!')`);
    expect(await document()).toMatchObject(EXPECTED);
    // The divergence check compares in the canonical form too, whoever runs it.
    await db.transaction(async (tx) => {
      await tx.query('SELECT set_config($1, $2, true)', [name, value]);
      expect((await tx.query('SELECT * FROM check_tv_probe()')).rows).toEqual([]);
      expect((await tx.query('SELECT * FROM check_ta_probe()')).rows).toEqual([]);
    });
    // A rebuild in that session changes nothing.
    await writeWith(name, value, 'SELECT rebuild_tv_probe()');
    expect(await document()).toMatchObject(EXPECTED);
    const ta = await db.query<{ took: string; label: string; day_text: string }>(
      'SELECT took, label, day_text FROM ta_probe',
    );
    expect(ta.rows).toEqual([
      { took: EXPECTED.took, label: EXPECTED.label, day_text: EXPECTED.dayText },
    ]);
  });
});
