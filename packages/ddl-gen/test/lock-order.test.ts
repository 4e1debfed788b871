import { connectDatabase, type SqlClient } from '@fraiseql/core';
import { createTestDatabase, requireService, waitFor, type TestDatabase } from '@fraiseql/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTvDdl, loadSchema, planProjection, type ProjectionPlan } from '../src/index.js';
import { BLOG_SCHEMA, BLOG_TABLES_SQL } from './fixtures/blog-schema.js';
import { seedBlog } from './fixtures/workload.js';

const postgres = await requireService('postgres');

/** What became of each of the two transactions of a scenario: `ok` or the SQLSTATE. */
interface Outcome {
  readonly first: string;
  readonly second: string;
}

const sqlState = (error: unknown): string => (error as { code?: string }).code ?? String(error);

// The two interleavings of issue reports: a transaction takes a row lock outside the projection
// lock order (a SELECT ... FOR UPDATE, or a foreign-key check of a write to a table no projection
// reads), a second one takes the projection lock and waits for that row, then the first writes a
// source table.
describe.skipIf(postgres === undefined)('projection lock order with other locks', () => {
  let database: TestDatabase;
  let db: SqlClient;
  let order: ProjectionPlan;
  const clients: pg.Client[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(postgres);
    db = await connectDatabase({ url: database.url, maxConnections: 2 });
    await db.exec(BLOG_TABLES_SQL);
    await db.exec(`
      CREATE TABLE tb_payment (
        pk_payment bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        fk_order bigint NOT NULL REFERENCES tb_order (pk_order) ON DELETE CASCADE,
        amount numeric(12, 2) NOT NULL
      )`);
    await seedBlog(db, 20);
    const schema = loadSchema(BLOG_SCHEMA);
    order = await planProjection(schema, 'Order', { db });
    await db.exec(generateTvDdl(order).sql);
    await db.exec(generateTvDdl(await planProjection(schema, 'User', { db })).sql);
    for (let i = 0; i < 3; i++) {
      const client = new pg.Client({ connectionString: database.url });
      client.on('error', () => undefined);
      await client.connect();
      clients.push(client);
    }
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.end()));
    await db.close();
    await database.close();
  });

  /** A not yet used order, with its user: each scenario works on its own rows. */
  let nextOrder = 0;
  async function freshOrder(): Promise<{ order: string; user: string }> {
    nextOrder += 1;
    const row = await db.query<{ pk_order: string; fk_user: string }>(
      'SELECT pk_order::text, fk_user::text FROM tb_order ORDER BY pk_order OFFSET $1 LIMIT 1',
      [nextOrder],
    );
    return { order: row.rows[0]!.pk_order, user: row.rows[0]!.fk_user };
  }

  /**
   * T1 runs `before`; T2 starts `blocked` and is seen waiting for a lock; T1 runs `after` and
   * commits; then T2 commits. PostgreSQL aborts one of them with 40P01 when they deadlock.
   */
  async function scenario(before: string[], blocked: string, after: string[]): Promise<Outcome> {
    const [t1, t2, observer] = clients as [pg.Client, pg.Client, pg.Client];
    const pid = (await t2.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await t1.query('BEGIN');
    await t2.query('BEGIN');
    let first = 'ok';
    let second = 'ok';
    try {
      for (const sql of before) await t1.query(sql);
      const waiting = t2.query(blocked).then(
        () => 'ok',
        (error: unknown) => sqlState(error),
      );
      await waitFor(
        async () =>
          (
            await observer.query<{ wait: string | null }>(
              'SELECT wait_event_type AS wait FROM pg_stat_activity WHERE pid = $1',
              [pid],
            )
          ).rows[0]?.wait === 'Lock',
        { timeoutMs: 30_000 },
      );
      try {
        for (const sql of after) await t1.query(sql);
        await t1.query('COMMIT');
      } catch (error) {
        first = sqlState(error);
        await t1.query('ROLLBACK');
      }
      second = await waiting;
    } finally {
      await t2.query(second === 'ok' ? 'COMMIT' : 'ROLLBACK');
      await t1.query('ROLLBACK').catch(() => undefined); // no-op after COMMIT/ROLLBACK
    }
    expect((await db.query('SELECT * FROM check_tv_order()')).rows).toEqual([]);
    expect((await db.query('SELECT * FROM check_tv_user()')).rows).toEqual([]);
    return { first, second };
  }

  describe('pattern 1: SELECT ... FOR UPDATE of a source row before the first source write', () => {
    it('deadlocks without the writers rule (PostgreSQL aborts one transaction)', async () => {
      const { order: o, user: u } = await freshOrder();
      const outcome = await scenario(
        [`SELECT status FROM tb_order WHERE pk_order = ${o} FOR UPDATE`],
        `UPDATE tb_order SET status = 'paid' WHERE pk_order = ${o}`,
        [`UPDATE tb_user SET name = name || '+' WHERE pk_user = ${u}`],
      );
      expect([outcome.first, outcome.second].sort()).toEqual(['40P01', 'ok']);
    });

    it('does not deadlock when the transaction takes the projection lock first', async () => {
      const { order: o, user: u } = await freshOrder();
      const outcome = await scenario(
        [
          'SELECT public.fraiseql_projection_lock()',
          `SELECT status FROM tb_order WHERE pk_order = ${o} FOR UPDATE`,
        ],
        `UPDATE tb_order SET status = 'paid' WHERE pk_order = ${o}`,
        [`UPDATE tb_user SET name = name || '+' WHERE pk_user = ${u}`],
      );
      expect(outcome).toEqual({ first: 'ok', second: 'ok' });
      const status = await db.query<{ status: string }>(
        `SELECT data->>'status' AS status FROM tv_order t JOIN tb_order o ON o.id = t.id WHERE o.pk_order = ${o}`,
      );
      expect(status.rows).toEqual([{ status: 'paid' }]);
    });
  });

  describe('pattern 2: first write to a table whose foreign key locks a source row', () => {
    const payThenRename = async (): Promise<Outcome> => {
      const { order: o, user: u } = await freshOrder();
      return scenario(
        [`INSERT INTO tb_payment (fk_order, amount) VALUES (${o}, 10)`],
        `DELETE FROM tb_order WHERE pk_order = ${o}`,
        [`UPDATE tb_user SET name = name || '+' WHERE pk_user = ${u}`],
      );
    };

    it('the planner names the table and the ways out', () => {
      expect(order.warnings.join('\n')).toMatch(
        /public\.tb_payment has a foreign key to a table public\.v_order reads: .*can deadlock.*lockTables/,
      );
    });

    it('does not deadlock once the table is among the lock tables', async () => {
      const schema = loadSchema(BLOG_SCHEMA);
      const locked = await planProjection(schema, 'Order', { db, lockTables: ['tb_payment'] });
      expect(locked.warnings.join('\n')).not.toMatch(/tb_payment/);
      await db.exec(generateTvDdl(locked).sql);
      expect(await payThenRename()).toEqual({ first: 'ok', second: 'ok' });
      // Applying another projection keeps the lock trigger the order projection asked for.
      await db.exec(generateTvDdl(await planProjection(schema, 'Post', { db })).sql);
      expect(await payThenRename()).toEqual({ first: 'ok', second: 'ok' });
      // Without the lock table again, its lock trigger goes and the deadlock comes back.
      await db.exec(generateTvDdl(order).sql);
      const triggers = await db.query(
        `SELECT tgname FROM pg_trigger WHERE tgrelid = 'tb_payment'::regclass AND NOT tgisinternal`,
      );
      expect(triggers.rows).toEqual([]);
      const outcome = await payThenRename();
      expect([outcome.first, outcome.second].sort()).toEqual(['40P01', 'ok']);
    });

    it('rejects a lock table that does not exist', async () => {
      await expect(
        planProjection(loadSchema(BLOG_SCHEMA), 'Order', { db, lockTables: ['tb_nothing'] }),
      ).rejects.toThrow(/lockTables: public\.tb_nothing does not exist/);
    });
  });
});
