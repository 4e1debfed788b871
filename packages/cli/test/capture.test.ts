import { connectDatabase, coreMigrations, migrate, type SqlClient } from '@fraiseql/core';
import { createTestDatabase, requireService, type TestDatabase } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const pg = await requireService('postgres');

describe.skipIf(pg === undefined)('fraiseql capture against PostgreSQL', () => {
  let database: TestDatabase;
  let db: SqlClient;
  const env = (): Record<string, string> => ({ DATABASE_URL: database.url });

  beforeAll(async () => {
    if (pg === undefined) return;
    database = await createTestDatabase(pg);
    db = await connectDatabase({ url: database.url });
    await migrate(db, { sets: [coreMigrations] });
    await db.exec(`CREATE SCHEMA sales;
      CREATE TABLE tb_order (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), total int);
      CREATE TABLE sales.tb_order_line (pk int PRIMARY KEY, tenant_id text);
      CREATE TABLE tb_keyless (a int, b int)`);
  });
  afterAll(async () => {
    await db.close();
    await database.close();
  });

  const changeLog = async (): Promise<{ object_type: string; object_id: string }[]> =>
    (
      await db.query<{ object_type: string; object_id: string }>(
        'SELECT object_type, object_id FROM core.tb_entity_change_log ORDER BY pk_entity_change_log',
      )
    ).rows;

  it('--dry-run prints the SQL and changes nothing', async () => {
    const dry = await runCli(['capture', 'add', 'tb_order', '--dry-run'], { env: env() });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      'CREATE TRIGGER fraiseql_capture_insert AFTER INSERT ON "public"."tb_order"',
    );
    expect(dry.stdout).toMatch(
      /CREATE OR REPLACE FUNCTION core\."fn_capture_t_\d+"\(\) RETURNS trigger/,
    );
    expect(dry.stdout).toMatch(/EXECUTE FUNCTION core\."fn_capture_t_\d+"\('Order', 'id',/);
    const list = await runCli(['capture', 'list', '--json'], { env: env() });
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it('adds tables with derived entity types, lists them, and their writes become events', async () => {
    const add = await runCli(['capture', 'add', 'tb_order', 'sales.tb_order_line'], { env: env() });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toBe('capturing public.tb_order\ncapturing sales.tb_order_line\n');
    await db.query(
      `INSERT INTO tb_order (id, total) VALUES ('00000000-0000-4000-8000-000000000001', 5)`,
    );
    await db.query(`INSERT INTO sales.tb_order_line VALUES (7, 'acme')`);
    expect(await changeLog()).toEqual([
      { object_type: 'Order', object_id: '00000000-0000-4000-8000-000000000001' },
      { object_type: 'OrderLine', object_id: '7' },
    ]);
    const list = await runCli(['capture', 'list', '--json'], { env: env() });
    expect(JSON.parse(list.stdout)).toMatchObject([
      { table: 'public.tb_order', entityType: 'Order', idColumn: 'id' },
      { table: 'sales.tb_order_line', entityType: 'OrderLine', idColumn: 'pk' },
    ]);
    const table = await runCli(['capture', 'list'], { env: env() });
    expect(table.stdout).toMatch(/public\.tb_order\s+Order\s+id/);

    const again = await runCli(
      ['capture', 'add', 'sales.tb_order_line', '--entity', 'Line', '--tenant-column', 'tenant_id'],
      { env: env() },
    );
    expect(again.code).toBe(0);
    const relisted = JSON.parse(
      (await runCli(['capture', 'list', '--json'], { env: env() })).stdout,
    ) as {
      table: string;
      entityType: string;
      tenantColumn?: string;
    }[];
    expect(relisted.find((entry) => entry.table === 'sales.tb_order_line')).toMatchObject({
      entityType: 'Line',
      tenantColumn: 'tenant_id',
    });

    const removeDry = await runCli(['capture', 'remove', 'tb_order', '--dry-run'], { env: env() });
    expect(removeDry.stdout).toContain(
      'DROP TRIGGER IF EXISTS fraiseql_capture_insert ON "public"."tb_order"',
    );
    const remove = await runCli(['capture', 'remove', 'tb_order'], { env: env() });
    expect(remove.stdout).toBe('no longer capturing public.tb_order\n');
    await db.query(`INSERT INTO tb_order (total) VALUES (6)`);
    expect(await changeLog()).toHaveLength(2);
  });

  it('refresh generates the functions again after a column change, and says what it would run', async () => {
    await db.exec(`CREATE TABLE tb_refreshed (id int PRIMARY KEY, status text)`);
    expect((await runCli(['capture', 'add', 'tb_refreshed'], { env: env() })).code).toBe(0);
    // Whether or not an event trigger already did it, a refresh after ALTER TABLE is harmless.
    await db.exec(`ALTER TABLE tb_refreshed ADD COLUMN note text`);
    const dry = await runCli(['capture', 'refresh', 'tb_refreshed', '--dry-run'], { env: env() });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('-- public.tb_refreshed (dry run: nothing changed)');
    expect(dry.stdout).toContain('o.note IS DISTINCT FROM n.note');
    const one = await runCli(['capture', 'refresh', 'tb_refreshed'], { env: env() });
    expect(one.stderr).toBe('');
    expect(one.stdout).toBe('refreshed public.tb_refreshed\n');
    await db.query(`INSERT INTO tb_refreshed VALUES (1, 'new', NULL)`);
    await db.query(`UPDATE tb_refreshed SET note = 'only the new column'`);
    const updated = await db.query<{ fields: string[] }>(
      `SELECT updated_fields AS fields FROM core.tb_entity_change_log
        WHERE object_type = 'Refreshed' AND modification_type = 'UPDATE'`,
    );
    expect(updated.rows).toEqual([{ fields: ['note'] }]);

    const all = await runCli(['capture', 'refresh', '--json'], { env: env() });
    expect(all.code).toBe(0);
    const changes = JSON.parse(all.stdout) as { table: string; applied: boolean }[];
    expect(changes.map((change) => change.table)).toContain('public.tb_refreshed');
    expect(changes.every((change) => change.applied)).toBe(true);

    const missing = await runCli(['capture', 'refresh', 'tb_keyless'], { env: env() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('public.tb_keyless is not captured');
  });

  it('says what is wrong: a missing table, a table without a key, --entity with several tables', async () => {
    const missing = await runCli(['capture', 'add', 'tb_nope'], { env: env() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('tb_nope');
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const keyless = await runCli(['capture', 'add', 'tb_keyless'], { env: env() });
    expect(keyless.code).toBe(1);
    expect(keyless.stderr).toContain('--id-column');
    const both = await runCli(['capture', 'add', 'tb_order', 'tb_keyless', '--entity', 'X'], {
      env: env(),
    });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--entity');
    const none = await runCli(['capture', 'add'], { env: env() });
    expect(none.code).toBe(2);
  });
});
