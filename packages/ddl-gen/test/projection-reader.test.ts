import { connectDatabase, type SqlClient } from '@fraiseql/core';
import { createTestDatabase, requireService, type TestDatabase } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkProjection,
  generateMonitoringDdl,
  generateTaDdl,
  generateTvDdl,
  isDdlGenError,
  listProjections,
  loadSchema,
  planProjection,
} from '../src/index.js';
import { BLOG_SCHEMA, BLOG_TABLES_SQL } from './fixtures/blog-schema.js';
import { seedBlog } from './fixtures/workload.js';

const pg = await requireService('postgres');

describe.skipIf(pg === undefined)('listProjections / checkProjection on PostgreSQL', () => {
  let database: TestDatabase;
  let db: SqlClient;

  beforeAll(async () => {
    database = await createTestDatabase(pg);
    db = await connectDatabase({ url: database.url });
    await db.exec(BLOG_TABLES_SQL);
    await seedBlog(db, 12);
  });

  afterAll(async () => {
    await db.close();
    await database.close();
  });

  it('a database without the monitoring functions has no projections installed', async () => {
    expect(await listProjections(db)).toEqual({ installed: false, schemas: [], projections: [] });
    const error: unknown = await checkProjection(db, 'public.tv_order').catch((e: unknown) => e);
    expect(isDdlGenError(error, 'UNKNOWN_PROJECTION')).toBe(true);
  });

  it('lists row counts, refresh mode, last refresh and staleness, and checks divergence', async () => {
    const order = await planProjection(loadSchema(BLOG_SCHEMA), 'Order', { db });
    await db.exec(generateTvDdl(order).sql);
    await db.exec(generateTaDdl(order, { refresh: 'manual' }).sql);
    await db.exec(generateMonitoringDdl().sql);

    const list = await listProjections(db);
    expect(list.installed).toBe(true);
    expect(list.schemas).toEqual(['public']);
    const byName = new Map(list.projections.map((p) => [p.projection, p]));
    expect([...byName.keys()].sort()).toEqual(['public.ta_order', 'public.tv_order']);
    const tv = byName.get('public.tv_order')!;
    const sourceRows = Number(
      (await db.query<{ n: string }>('SELECT count(*) AS n FROM tb_order')).rows[0]!.n,
    );
    expect(sourceRows).toBeGreaterThan(0);
    expect(tv).toMatchObject({
      kind: 'tv',
      refreshMode: 'trigger',
      sourceView: 'public.v_order',
      projectionRows: sourceRows,
      sourceRows,
      stalenessSeconds: 0,
      checkable: true,
    });
    const ta = byName.get('public.ta_order')!;
    expect(ta.kind).toBe('ta');
    expect(ta.refreshMode).toBe('manual');
    expect(ta.projectionRows).toBe(sourceRows);

    const clean = await checkProjection(db, 'public.ta_order');
    expect(clean).toMatchObject({ missing: 0, extra: 0, different: 0, inSync: true });

    // A manually refreshed projection goes stale until it is rebuilt; the check names the rows.
    await db.exec(`UPDATE tb_order SET status = 'changed' WHERE pk_order IN (
      SELECT pk_order FROM tb_order ORDER BY pk_order LIMIT 3)`);
    const stale = await checkProjection(db, 'public.ta_order', { sampleSize: 2 });
    expect(stale).toMatchObject({ missing: 0, extra: 0, different: 3, inSync: false });
    expect(stale.samples.different).toHaveLength(2);
    const ids = (
      await db.query<{ id: string }>(`SELECT id::text AS id FROM tb_order WHERE status = 'changed'`)
    ).rows.map((row) => row.id);
    for (const id of stale.samples.different) expect(ids).toContain(id);
    // The trigger-maintained one stayed in step.
    expect((await checkProjection(db, 'public.tv_order')).inSync).toBe(true);

    await db.exec('SELECT rebuild_ta_order()');
    expect((await checkProjection(db, 'public.ta_order')).inSync).toBe(true);
    const rebuilt = (await listProjections(db)).projections.find(
      (p) => p.projection === 'public.ta_order',
    )!;
    expect(rebuilt.lastRefreshAt).not.toBeNull();
    expect(Date.parse(rebuilt.lastRefreshAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(rebuilt.stalenessSeconds).toBeGreaterThanOrEqual(0);
    expect(rebuilt.stalenessSeconds).toBeLessThan(60);
  });

  it('cancels a check that outlives its timeout in PostgreSQL and reports CHECK_TIMEOUT', async () => {
    // Another session holds the source table: the comparison waits on its lock until the
    // statement timeout cancels it.
    const holder = await connectDatabase({ url: database.url });
    try {
      const error: unknown = await holder.transaction(async (tx) => {
        await tx.exec('LOCK TABLE tb_order IN ACCESS EXCLUSIVE MODE');
        return checkProjection(db, 'public.tv_order', { timeout: 300 }).catch((e: unknown) => e);
      });
      expect(isDdlGenError(error, 'CHECK_TIMEOUT')).toBe(true);
      expect((error as Error).message).toContain('public.tv_order');
    } finally {
      await holder.close();
    }
    // The cancelled transaction left nothing behind: the next check runs.
    expect((await checkProjection(db, 'public.tv_order')).inSync).toBe(true);
    const bad: unknown = await checkProjection(db, 'public.tv_order', { timeout: 'soon' }).catch(
      (e: unknown) => e,
    );
    expect(isDdlGenError(bad, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('refuses names that are not registered projections', async () => {
    for (const name of ['public.tb_order', 'public.nope', 'x"; DROP TABLE tb_order; --']) {
      const error: unknown = await checkProjection(db, name).catch((e: unknown) => e);
      expect(isDdlGenError(error, 'UNKNOWN_PROJECTION')).toBe(true);
    }
    const error: unknown = await checkProjection(db, 'public.tv_order', { sampleSize: -1 }).catch(
      (e: unknown) => e,
    );
    expect(isDdlGenError(error, 'INVALID_ARGUMENT')).toBe(true);
  });
});
