import { connectDatabase, type SqlClient } from '@fraiseql/core';
import { createTestDatabase, requireService, type TestDatabase } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateCompositionViews,
  generateMonitoringDdl,
  generateTaDdl,
  generateTvDdl,
  generateVaDdl,
  loadSchema,
  planProjection,
  type ProjectionPlan,
} from '../src/index.js';
import { BLOG_SCHEMA, BLOG_TABLES_SQL } from './fixtures/blog-schema.js';
import { prng, randomWrite, seedBlog } from './fixtures/workload.js';

const pg = await requireService('postgres');

describe.skipIf(pg === undefined)('va_, ta_, composition and monitoring DDL on PostgreSQL', () => {
  let database: TestDatabase;
  let db: SqlClient;
  let user: ProjectionPlan;
  let order: ProjectionPlan;
  let post: ProjectionPlan;

  const apply = async (sql: string): Promise<void> => {
    await db.exec(sql);
    await db.exec(sql);
  };

  beforeAll(async () => {
    database = await createTestDatabase(pg);
    db = await connectDatabase({ url: database.url });
    await db.exec(BLOG_TABLES_SQL);
    await seedBlog(db, 30);
    const schema = loadSchema(BLOG_SCHEMA);
    user = await planProjection(schema, 'User', { db });
    order = await planProjection(schema, 'Order', { db });
    post = await planProjection(schema, 'v_post', { db });
  });

  afterAll(async () => {
    await db.close();
    await database.close();
  });

  it('va_ exposes one typed column per field, with the GraphQL → SQL type map', async () => {
    await apply(generateVaDdl(order).sql);
    const columns = await db.query<{ name: string; type: string }>(
      `SELECT attname::text AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
       WHERE attrelid = 'va_order'::regclass AND attnum > 0 ORDER BY attnum`,
    );
    expect(columns.rows).toEqual([
      { name: 'id', type: 'uuid' },
      { name: 'status', type: 'text' },
      { name: 'total', type: 'numeric' },
      { name: 'placed_on', type: 'date' },
      { name: 'created_at', type: 'timestamp with time zone' },
      { name: 'shipping', type: 'jsonb' },
      { name: 'customer', type: 'jsonb' },
      { name: 'items', type: 'jsonb' },
      { name: 'item_count', type: 'integer' },
    ]);
    const typed = await db.query<{ ok: boolean }>(
      `SELECT bool_and(a.total = o.total AND a.placed_on = o.placed_on AND a.created_at = o.created_at
         AND a.shipping = o.shipping AND a.item_count = (SELECT coalesce(sum(quantity), 0) FROM tb_order_item i WHERE i.fk_order = o.pk_order)) AS ok
       FROM va_order a JOIN tb_order o ON o.id = a.id`,
    );
    expect(typed.rows[0]!.ok).toBe(true);
    expect((await db.query(`SELECT to_regclass('va_user') AS r`)).rows).toEqual([{ r: null }]);
    await apply(generateVaDdl(user, { from: 'view' }).sql);
    const age = await db.query<{ type: string }>(
      `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'va_user'::regclass AND attname = 'age'`,
    );
    expect(age.rows).toEqual([{ type: 'integer' }]);
  });

  it('va_ and the ta_ refresh compute each document once per row, not once per column', async () => {
    await apply(generateVaDdl(order).sql);
    // v_order reads tb_order_item in two subqueries per document; nine typed columns must not
    // multiply them.
    const itemScans = async (query: string): Promise<number> => {
      const plan = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${query}`);
      return plan.rows.filter((row) => /Scan.* on tb_order_item/.test(row['QUERY PLAN'])).length;
    };
    const viewScans = await itemScans('SELECT * FROM v_order');
    expect(viewScans).toBeGreaterThan(0);
    expect(await itemScans('SELECT * FROM va_order')).toBe(viewScans);
    // A condition on id still reaches tb_order's index instead of computing every document.
    const one = await db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT * FROM va_order WHERE id = '00000000-0000-0000-0000-000000000000'`,
    );
    expect(one.rows.map((row) => row['QUERY PLAN']).join('\n')).toMatch(
      /Index Scan using tb_order_id_key on tb_order/,
    );
    // The trigger refresh of one ta_order row reads tb_order_item as often as tv_order's does.
    await apply(generateTvDdl(order).sql);
    await apply(generateTaDdl(order, { refresh: 'trigger' }).sql);
    // Scans the backend counted so far (PostgreSQL 15 keeps counts of earlier transactions
    // pending for a while), so the refresh's scans are the difference.
    const itemScansSoFar = async (tx: SqlClient): Promise<number> => {
      const stats = await tx.query<{ scans: string }>(
        `SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) AS scans
         FROM pg_stat_xact_user_tables WHERE relname = 'tb_order_item'`,
      );
      return Number(stats.rows[0]?.scans ?? 0);
    };
    const scansDuring = (refresh: string): Promise<number> =>
      db.transaction(async (tx) => {
        const before = await itemScansSoFar(tx);
        await tx.query(
          `SELECT ${refresh}(ARRAY(SELECT id FROM tb_order ORDER BY pk_order LIMIT 1))`,
        );
        return (await itemScansSoFar(tx)) - before;
      });
    const tv = await scansDuring('refresh_tv_order');
    expect(tv).toBeGreaterThan(0);
    expect(await scansDuring('refresh_ta_order')).toBe(tv);
  });

  it('ta_ with trigger refresh stays equal to the typed view under random writes', async () => {
    await apply(generateTaDdl(order, { refresh: 'trigger' }).sql);
    await apply(generateTaDdl(user).sql);
    const random = prng(42);
    for (let i = 0; i < 200; i++) await randomWrite(db, random);
    expect((await db.query('SELECT * FROM check_ta_order()')).rows).toEqual([]);
    expect((await db.query('SELECT * FROM check_ta_user()')).rows).toEqual([]);
    const same = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT * FROM va_order EXCEPT SELECT id, status, total, placed_on, created_at, shipping, customer, items, item_count FROM ta_order) d`,
    );
    expect(same.rows[0]!.n).toBe('0');
  });

  it('ta_ in manual mode drops its triggers, goes stale, and its rebuild catches up', async () => {
    await apply(generateTaDdl(order, { refresh: 'manual' }).sql);
    const triggers = await db.query(
      `SELECT tgname FROM pg_trigger WHERE tgname LIKE 'ta\\_order\\_\\_%'`,
    );
    expect(triggers.rows).toEqual([]);
    await db.exec(`UPDATE tb_order SET status = 'archived'`);
    const stale = (await db.query<{ problem: string }>('SELECT * FROM check_ta_order()')).rows;
    expect(stale.length).toBeGreaterThan(0);
    expect(stale.every((row) => row.problem === 'different')).toBe(true);
    await db.query('SELECT rebuild_ta_order()');
    expect((await db.query('SELECT * FROM check_ta_order()')).rows).toEqual([]);
  });

  it('ta_ in scheduled mode applies without pg_cron and is recreated when its fields change', async () => {
    await apply(generateTaDdl(order, { refresh: 'scheduled', schedule: '*/10 * * * *' }).sql);
    const narrower = { ...order, fields: order.fields.filter((field) => field.key !== 'shipping') };
    await apply(generateTaDdl(narrower, { refresh: 'scheduled' }).sql);
    const shipping = await db.query(
      `SELECT 1 FROM pg_attribute WHERE attrelid = 'ta_order'::regclass AND attname = 'shipping' AND NOT attisdropped`,
    );
    expect(shipping.rows).toEqual([]);
    expect((await db.query('SELECT * FROM check_ta_order()')).rows).toEqual([]);
  });

  it('refuses to replace a ta_ table it did not create', async () => {
    await db.exec('CREATE TABLE ta_post (id uuid PRIMARY KEY, note text)');
    await expect(db.exec(generateTaDdl(post).sql)).rejects.toThrow(
      /was not created by @fraiseql\/ddl-gen/,
    );
    await db.exec('DROP TABLE ta_post');
  });

  it('composition views merge related projection documents', async () => {
    await apply(generateTvDdl(user).sql);
    await apply(generateTvDdl(order).sql);
    await apply(generateTvDdl(post).sql);
    const composed = generateCompositionViews([
      {
        plan: user,
        relations: [{ field: 'orders', target: order, kind: 'many', key: 'customer.id' }],
      },
      { plan: post, relations: [{ field: 'author', target: user, kind: 'one', key: 'author.id' }] },
    ]);
    await apply(composed.sql);
    const mismatched = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM v_user_composed c JOIN tb_user u ON u.id = c.id
       WHERE jsonb_array_length(c.data->'orders') <> (SELECT count(*) FROM tb_order o WHERE o.fk_user = u.pk_user)
          OR c.data->>'name' <> u.name`,
    );
    expect(mismatched.rows[0]!.n).toBe('0');
    const author = await db.query<{ ok: boolean }>(
      `SELECT bool_and(c.data->'author' = (SELECT data FROM tv_user t WHERE t.id = (c.data#>>'{author,id}')::uuid)) AS ok
       FROM v_post_composed c`,
    );
    expect(author.rows[0]!.ok).toBe(true);
    await db.exec(composed.dropSql);
    expect((await db.query(`SELECT to_regclass('v_user_composed') AS r`)).rows).toEqual([
      { r: null },
    ]);
  });

  it('monitoring reports rows, refresh mode, staleness and divergence; all STABLE', async () => {
    await apply(generateMonitoringDdl().sql);
    const status = await db.query<{
      projection: string;
      refresh_mode: string;
      projection_rows: string;
      source_rows: string;
      staleness_s: number | null;
      last_refresh_at: Date | null;
    }>('SELECT *, extract(epoch FROM staleness)::float8 AS staleness_s FROM projection_status()');
    const byName = new Map(status.rows.map((row) => [row.projection, row]));
    expect([...byName.keys()].sort()).toEqual([
      'public.ta_order',
      'public.ta_user',
      'public.tv_order',
      'public.tv_post',
      'public.tv_user',
    ]);
    expect(byName.get('public.tv_user')!.refresh_mode).toBe('trigger');
    expect(byName.get('public.tv_user')!.staleness_s).toBe(0);
    expect(byName.get('public.ta_order')!.refresh_mode).toBe('scheduled');
    expect(byName.get('public.ta_order')!.last_refresh_at).toBeInstanceOf(Date);
    for (const row of status.rows) expect(row.projection_rows).toBe(row.source_rows);
    await db.exec(`UPDATE tb_order SET status = 'stale now'`);
    const divergence = await db.query<{ projection: string; different: string }>(
      'SELECT * FROM projection_divergence() ORDER BY 1',
    );
    const different = Object.fromEntries(
      divergence.rows.map((row) => [row.projection, Number(row.different)]),
    );
    expect(different['public.ta_order']).toBeGreaterThan(0); // scheduled: stale until rebuilt
    expect(different['public.tv_order']).toBe(0); // trigger-maintained
    const volatility = await db.query<{ proname: string; provolatile: string }>(
      `SELECT proname::text, provolatile::text FROM pg_proc
       WHERE proname IN ('projection_status', 'projection_row_counts', 'projection_staleness',
         'projection_divergence', 'check_tv_user', 'check_ta_order') ORDER BY 1`,
    );
    expect(volatility.rows).toHaveLength(6);
    expect(volatility.rows.every((row) => row.provolatile === 's')).toBe(true);
  });
});
