import { connectDatabase, pgliteClient, type SqlClient } from '@fraiseql/core';
import {
  createTestDatabase,
  createTestPGlite,
  requireService,
  type TestDatabase,
} from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkDdl,
  generateCompositionViews,
  generateMonitoringDdl,
  generateTaDdl,
  generateTvDdl,
  generateVaDdl,
  isDdlGenError,
  loadSchema,
  planProjection,
  validateDdl,
  type GeneratedDdl,
} from '../src/index.js';
import { BLOG_SCHEMA, BLOG_TABLES_SQL } from './fixtures/blog-schema.js';
import { prng, randomWrite, seedBlog } from './fixtures/workload.js';

const pg = await requireService('postgres');

async function everyOutput(db: SqlClient): Promise<GeneratedDdl[]> {
  const schema = loadSchema(BLOG_SCHEMA);
  const user = await planProjection(schema, 'User', { db });
  const order = await planProjection(schema, 'Order', { db });
  const post = await planProjection(schema, 'Post', { db });
  return [
    generateTvDdl(user),
    generateTvDdl(order),
    generateTvDdl(post),
    generateVaDdl(user),
    generateVaDdl(order, { from: 'tv' }),
    generateTaDdl(order, { refresh: 'trigger' }),
    generateTaDdl(user, { refresh: 'scheduled', schedule: '30 seconds' }),
    generateTaDdl(post, { refresh: 'manual' }),
    generateCompositionViews([
      {
        plan: user,
        relations: [{ field: 'orders', target: order, kind: 'many', key: 'customer.id' }],
      },
    ]),
    generateMonitoringDdl(),
  ];
}

/** Every object in the public schema, with triggers, to compare before and after. */
async function catalog(db: SqlClient): Promise<string[]> {
  const result = await db.query<{ o: string }>(`
    SELECT 'rel ' || relname AS o FROM pg_class WHERE relnamespace = 'public'::regnamespace
    UNION ALL SELECT 'fn ' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
    UNION ALL SELECT 'trg ' || tgname || ' on ' || tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal
    ORDER BY 1`);
  return result.rows.map((row) => row.o);
}

describe('validateDdl with the PostgreSQL parser', () => {
  it('reports the statement, line, column and offset of a syntax error', async () => {
    const sql = 'CREATE TABLE a (x int);\nSELECT 1;\nCREATE TABEL b (y int);\n';
    const result = await validateDdl(sql);
    expect(result.valid).toBe(false);
    expect(result.issue).toMatchObject({
      statementIndex: 2,
      line: 3,
      column: 8,
      position: sql.indexOf('TABEL'),
      statement: 'CREATE TABEL b (y int);',
    });
    expect(result.issue?.message).toMatch(/syntax error at or near "TABEL"/);
  });

  it('rejects what the old generators emitted', async () => {
    expect((await validateDdl('CREATE VIEW IF NOT EXISTS v AS SELECT 1;')).valid).toBe(false);
  });

  it('does not split on semicolons inside strings, dollar quotes and comments', async () => {
    const result = await validateDdl(
      "DO $x$ BEGIN RAISE NOTICE 'a;b'; END $x$; SELECT 'it''s;' /* ; */; SELECT 2 -- ;\n;",
    );
    expect(result).toEqual({ valid: true, statements: 3 });
  });
});

describe.skipIf(pg === undefined)('generated DDL against PostgreSQL', () => {
  let database: TestDatabase;
  let db: SqlClient;

  beforeAll(async () => {
    database = await createTestDatabase(pg);
    db = await connectDatabase({ url: database.url });
    await db.exec(BLOG_TABLES_SQL);
    await seedBlog(db, 10);
  });

  afterAll(async () => {
    await db.close();
    await database.close();
  });

  it('every generator output and drop script parses', async () => {
    for (const output of await everyOutput(db)) {
      const created = await validateDdl(output.sql);
      expect(created.issue, output.name).toBeUndefined();
      expect(created.statements).toBeGreaterThan(0);
      expect((await validateDdl(output.dropSql)).valid).toBe(true);
    }
  });

  it('a checked (rolled-back) apply of every output succeeds and leaves nothing behind', async () => {
    const before = await catalog(db);
    const outputs = await everyOutput(db);
    const all = outputs.map((output) => output.sql).join('\n');
    const result = await checkDdl(db, all);
    expect(result.issue).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(await catalog(db)).toEqual(before);
    // Applied for real, the same scripts create the objects (so the check did run them).
    await db.exec(all);
    const after = await catalog(db);
    expect(after).toContain('rel tv_user');
    expect(after).toContain('fn projection_status');
    expect(after).toContain('trg tv_user__upd on tb_post');
    for (const output of [...outputs].reverse()) await db.exec(output.dropSql);
    // Shared by all projections of the schema, and the lookup indexes on source tables, stay.
    const kept = (await catalog(db)).filter((item) => !before.includes(item));
    expect(kept).toEqual([
      'fn fraiseql_projection_lock',
      'fn fraiseql_projection_lock_trigger',
      'rel fraiseql_projection_state',
      'rel fraiseql_projection_state_pkey',
      'rel tb_comment_fk_post_idx',
      'rel tb_comment_fk_user_idx',
      'rel tb_order_fk_user_idx',
      'rel tb_order_item_fk_order_idx',
      'rel tb_post_fk_user_idx',
    ]);
    expect(before.every((item) => after.includes(item))).toBe(true);
  });

  it('catches what only the server rejects (DEFAULT EPOCH parses but is no expression)', async () => {
    const sql = 'CREATE TABLE t (c timestamptz DEFAULT EPOCH);';
    expect((await validateDdl(sql)).valid).toBe(true);
    const result = await checkDdl(db, sql);
    expect(result.valid).toBe(false);
    expect(result.issue?.message).toMatch(/column reference in DEFAULT/);
  });

  it('reports the failing statement and position from PostgreSQL', async () => {
    const sql = 'CREATE TABLE ok_table (x int);\nSELECT missing_column FROM ok_table;\n';
    const result = await checkDdl(db, sql);
    expect(result.valid).toBe(false);
    expect(result.issue).toMatchObject({
      statementIndex: 1,
      line: 2,
      position: sql.indexOf('missing_column'),
      sqlState: '42703',
    });
    expect((await db.query(`SELECT to_regclass('ok_table') AS r`)).rows).toEqual([{ r: null }]);
  });

  it('refuses scripts that manage their own transaction', async () => {
    const error: unknown = await checkDdl(db, 'BEGIN; SELECT 1; COMMIT;').catch((e: unknown) => e);
    expect(isDdlGenError(error, 'INVALID_ARGUMENT')).toBe(true);
  });
});

describe('tv_ on embedded PostgreSQL (PGlite)', () => {
  it('keeps a projection in sync under random writes', async () => {
    await using lite = await createTestPGlite();
    const db = pgliteClient(lite.db);
    await db.exec(BLOG_TABLES_SQL);
    await seedBlog(db, 10);
    const plan = await planProjection(loadSchema(BLOG_SCHEMA), 'User', { db });
    expect(plan.sources.map((source) => source.table.name).sort()).toEqual([
      'tb_comment',
      'tb_post',
      'tb_user',
    ]);
    const ddl = generateTvDdl(plan);
    await db.exec(ddl.sql);
    await db.exec(ddl.sql);
    const random = prng(7);
    for (let i = 0; i < 40; i++) await randomWrite(db, random);
    expect((await db.query('SELECT * FROM check_tv_user()')).rows).toEqual([]);
    expect((await checkDdl(db, generateVaDdl(plan).sql)).valid).toBe(true);
  });
});
