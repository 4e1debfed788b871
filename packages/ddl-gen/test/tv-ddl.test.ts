import { connectDatabase, type SqlClient } from '@fraiseql/core';
import { createTestDatabase, requireService, type TestDatabase } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateTvDdl,
  isDdlGenError,
  loadSchema,
  planProjection,
  type GeneratedDdl,
  type ProjectionPlan,
} from '../src/index.js';
import { BLOG_SCHEMA, BLOG_TABLES_SQL } from './fixtures/blog-schema.js';
import { prng, randomWrite, seedBlog } from './fixtures/workload.js';

const pg = await requireService('postgres');
const ENTITIES = ['User', 'Post', 'Order'] as const;

describe.skipIf(pg === undefined)('generateTvDdl on PostgreSQL', () => {
  let database: TestDatabase;
  let db: SqlClient;
  const plans = new Map<string, ProjectionPlan>();
  const ddl = new Map<string, GeneratedDdl>();

  const divergence = async (entity: string): Promise<unknown[]> =>
    (await db.query(`SELECT * FROM check_tv_${entity}()`)).rows;

  beforeAll(async () => {
    database = await createTestDatabase(pg);
    db = await connectDatabase({ url: database.url, maxConnections: 6 });
    await db.exec(BLOG_TABLES_SQL);
    await seedBlog(db, 40);
    const schema = loadSchema(BLOG_SCHEMA);
    for (const entity of ENTITIES) {
      const plan = await planProjection(schema, entity, { db });
      plans.set(plan.entity, plan);
      ddl.set(plan.entity, generateTvDdl(plan));
    }
  });

  afterAll(async () => {
    await db.close();
    await database.close();
  });

  it('follows foreign-key lineage from child tables to the document root', () => {
    const user = plans.get('user')!;
    const tables = user.sources.map((source) => source.table.name).sort();
    expect(tables).toEqual(['tb_comment', 'tb_post', 'tb_user']);
    const comment = user.sources.find((source) => source.table.name === 'tb_comment')!;
    const routes = comment.paths.map((path) => path.map((step) => step.table.name).join('>'));
    // Through the post (comment count of the user's posts) and directly (comment author).
    expect(routes).toContain('tb_post>tb_user');
    expect(routes).toContain('tb_user');
    expect(user.sources.every((source) => !source.fullRefresh)).toBe(true);
    expect(user.idType).toBe('uuid');
    expect(
      plans
        .get('order')!
        .sources.map((source) => source.table.name)
        .sort(),
    ).toEqual(['tb_order', 'tb_order_item', 'tb_user']);
  });

  it('applies twice and fills the projection in sync with the view', async () => {
    for (const generated of ddl.values()) {
      await db.exec(generated.sql);
      await db.exec(generated.sql);
    }
    for (const entity of plans.keys()) {
      expect(await divergence(entity)).toEqual([]);
      const counts = await db.query<{ tv: string; v: string }>(
        `SELECT (SELECT count(*) FROM tv_${entity}) AS tv, (SELECT count(*) FROM v_${entity}) AS v`,
      );
      expect(Number(counts.rows[0]!.tv)).toBeGreaterThan(0);
      expect(counts.rows[0]!.tv).toBe(counts.rows[0]!.v);
    }
  });

  it('refreshes the parent document when a child row changes', async () => {
    const before = await db.query<{ id: string; data: { posts: { title: string }[] } }>(
      `SELECT u.id, t.data FROM tb_user u JOIN tv_user t ON t.id = u.id ORDER BY u.pk_user LIMIT 1`,
    );
    const userId = before.rows[0]!.id;
    await db.query(
      `UPDATE tb_post SET title = 'retitled' WHERE pk_post = (SELECT min(pk_post) FROM tb_post WHERE fk_user = (SELECT pk_user FROM tb_user WHERE id = $1))`,
      [userId],
    );
    const after = await db.query<{ data: { posts: { title: string }[] } }>(
      'SELECT data FROM tv_user WHERE id = $1',
      [userId],
    );
    expect(after.rows[0]!.data.posts.map((post) => post.title)).toContain('retitled');
    // A two-hop change: a new comment changes the commentCount in the post owner's document.
    const countOf = async (): Promise<number> => {
      const result = await db.query<{ n: number }>(
        `SELECT (data->'posts'->0->>'commentCount')::int AS n FROM tv_user WHERE id = $1`,
        [userId],
      );
      return result.rows[0]!.n;
    };
    const comments = await countOf();
    await db.query(
      `INSERT INTO tb_comment (fk_post, fk_user, body)
       SELECT min(pk_post), min(fk_user), 'hello' FROM tb_post WHERE fk_user = (SELECT pk_user FROM tb_user WHERE id = $1)`,
      [userId],
    );
    expect(await countOf()).toBe(comments + 1);
  });

  it('skips no-op updates: unchanged documents keep their updated_at', async () => {
    const stamp = async (): Promise<string[]> =>
      (
        await db.query<{ s: string }>('SELECT updated_at::text AS s FROM tv_user ORDER BY id')
      ).rows.map((row) => row.s);
    const before = await stamp();
    await db.exec('UPDATE tb_user SET name = name');
    expect(await stamp()).toEqual(before);
    const written = await db.query<{ n: number }>(
      'SELECT refresh_tv_user(array_agg(id)) AS n FROM tb_user',
    );
    expect(written.rows[0]!.n).toBe(0);
  });

  it('stays in sync under a seeded random write workload on every source table', async () => {
    const random = prng(20_261_126);
    for (let i = 0; i < 400; i++) await randomWrite(db, random);
    for (const entity of plans.keys()) expect(await divergence(entity)).toEqual([]);
  });

  it('stays in sync with concurrent writers on several connections', async () => {
    const results = await Promise.allSettled(
      [1, 2, 3, 4, 5].map(async (worker) => {
        const random = prng(worker * 7919);
        let rejected = 0;
        for (let i = 0; i < 80; i++) {
          try {
            await randomWrite(db, random);
          } catch (error) {
            // A row picked by one writer may be deleted by another: the foreign key rejects
            // the write, as it would for any application. Anything else (deadlock) fails.
            if ((error as { code?: string }).code !== '23503') throw error;
            rejected++;
          }
        }
        return rejected;
      }),
    );
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    for (const entity of plans.keys()) expect(await divergence(entity)).toEqual([]);
  });

  it('multi-statement transactions touching the tables in different orders do not deadlock', async () => {
    const results = await Promise.allSettled(
      [11, 12, 13, 14, 15, 16].map(async (worker) => {
        const random = prng(worker * 104_729);
        for (let i = 0; i < 25; i++) {
          try {
            // Each transaction writes 2-4 random statements over the three projections' tables,
            // so transactions lock projections in every possible order.
            await db.transaction(async (tx) => {
              const statements = 2 + Math.floor(random() * 3);
              for (let k = 0; k < statements; k++) await randomWrite(tx, random);
            });
          } catch (error) {
            if ((error as { code?: string }).code !== '23503') throw error;
          }
        }
      }),
    );
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    for (const entity of plans.keys()) expect(await divergence(entity)).toEqual([]);
  });

  it('reports missing, extra and different rows, and the rebuild repairs them', async () => {
    await db.exec(`
      ALTER TABLE tv_order DISABLE TRIGGER USER;
      DELETE FROM tv_order WHERE id = (SELECT min(id::text)::uuid FROM tv_order);
      UPDATE tv_order SET data = data || '{"status": "tampered"}' WHERE id = (SELECT max(id::text)::uuid FROM tv_order);
      INSERT INTO tv_order (id, data) VALUES (gen_random_uuid(), '{}');
      ALTER TABLE tv_order ENABLE TRIGGER USER;
    `);
    const problems = (await divergence('order')) as { problem: string }[];
    expect(problems.map((row) => row.problem).sort()).toEqual(['different', 'extra', 'missing']);
    const repaired = await db.query<{ n: number }>('SELECT rebuild_tv_order() AS n');
    expect(repaired.rows[0]!.n).toBe(3);
    expect(await divergence('order')).toEqual([]);
  });

  it('rebuilds after TRUNCATE of a source table', async () => {
    await db.exec('TRUNCATE tb_order_item');
    expect(await divergence('order')).toEqual([]);
    const items = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM tv_order WHERE data->'items' <> '[]'::jsonb`,
    );
    expect(Number(items.rows[0]!.n)).toBe(0);
  });

  it('follows nested views down to their base tables (rootTable option)', async () => {
    await db.exec(`
      CREATE VIEW v_author AS
      SELECT u.id, jsonb_build_object('name', u.data->>'name', 'postCount', jsonb_array_length(u.data->'posts')) AS data
      FROM v_user u`);
    const schema = loadSchema({
      types: [{ name: 'Author', fields: [{ name: 'name', type: 'String' }] }],
      queries: [{ name: 'authors', return_type: 'Author', sql_source: 'v_author' }],
    });
    const plan = await planProjection(schema, 'Author', { db, rootTable: 'tb_user' });
    expect(plan.sources.map((source) => source.table.name).sort()).toEqual([
      'tb_comment',
      'tb_post',
      'tb_user',
    ]);
    await db.exec(generateTvDdl(plan).sql);
    await db.exec(`DELETE FROM tb_post WHERE pk_post = (SELECT min(pk_post) FROM tb_post)`);
    await db.exec(`INSERT INTO tb_post (fk_user, title) SELECT max(pk_user), 'new' FROM tb_user`);
    expect((await db.query('SELECT * FROM check_tv_author()')).rows).toEqual([]);
    await db.exec(generateTvDdl(plan).dropSql);
    await db.exec('DROP VIEW v_author');
  });

  it('explains a missing view, a view without id/data and a wrong root table', async () => {
    const schema = loadSchema({
      types: [
        { name: 'Ghost', fields: [] },
        { name: 'Flat', fields: [] },
      ],
      queries: [],
    });
    await db.exec('CREATE VIEW v_flat AS SELECT pk_user AS id, name FROM tb_user');
    const errorOf = (promise: Promise<unknown>): Promise<unknown> =>
      promise.then(
        () => undefined,
        (error: unknown) => error,
      );
    const missing = await errorOf(planProjection(schema, 'Ghost', { db }));
    expect(isDdlGenError(missing, 'SOURCE_VIEW_MISSING')).toBe(true);
    const shape = await errorOf(planProjection(schema, 'Flat', { db, rootTable: 'tb_user' }));
    expect(isDdlGenError(shape, 'SOURCE_VIEW_SHAPE')).toBe(true);
    expect((shape as Error).message).toMatch(/"data" jsonb column/);
    const root = await errorOf(
      planProjection(loadSchema(BLOG_SCHEMA), 'User', { db, rootTable: 'tb_order' }),
    );
    expect((root as Error).message).toMatch(/does not read public\.tb_order; set rootTable/);
    await db.exec('DROP VIEW v_flat');
  });

  it('drops every object it created, and only those', async () => {
    const user = ddl.get('user')!;
    await db.exec(user.dropSql);
    await db.exec(user.dropSql);
    const left = await db.query<{ name: string }>(
      `SELECT proname::text AS name FROM pg_proc WHERE proname LIKE '%tv\\_user%'
       UNION ALL SELECT tgname::text FROM pg_trigger WHERE tgname LIKE 'tv\\_user%'
       UNION ALL SELECT relname::text FROM pg_class WHERE relname LIKE 'tv\\_user%'`,
    );
    expect(left.rows).toEqual([]);
    // The other projections still work.
    await db.exec(
      `UPDATE tb_user SET name = 'after drop' WHERE pk_user = (SELECT min(pk_user) FROM tb_user)`,
    );
    expect(await divergence('post')).toEqual([]);
    // A table keeps the projection lock trigger while some projection reads it.
    const locked = async (): Promise<string[]> =>
      (
        await db.query<{ t: string }>(
          `SELECT tgrelid::regclass::text AS t FROM pg_trigger WHERE tgname = 'fraiseql_lock_public' ORDER BY 1`,
        )
      ).rows.map((row) => row.t);
    expect(await locked()).toEqual([
      'tb_comment',
      'tb_order',
      'tb_order_item',
      'tb_post',
      'tb_user',
    ]);
    await db.exec(ddl.get('order')!.dropSql);
    expect(await locked()).toEqual(['tb_comment', 'tb_post', 'tb_user']);
    await db.exec(ddl.get('post')!.dropSql);
    expect(await locked()).toEqual([]);
  });
});
