import { uniqueName } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  CAPTURE_TRIGGERS,
  installCapture,
  isCoreError,
  migrate,
  uninstallCapture,
  type SqlClient,
} from '../src/index.js';
import { BACKENDS, closeBackends, type OpenDatabase } from './backends.js';
import { changeLogEvents, changeLogRows, withSettings } from './change-log-helpers.js';

afterAll(closeBackends);

describe.each(BACKENDS)('capture trigger on $name', (backend) => {
  describe.runIf(backend.available)('', () => {
    let open: OpenDatabase;
    let db: SqlClient;

    beforeAll(async () => {
      open = await backend.open();
      db = open.db;
      await migrate(db);
    });
    afterAll(async () => {
      await open.close();
    });

    /** A fresh table per test: `name` also serves as the entity type. */
    async function orderTable(name: string): Promise<void> {
      await db.exec(`
        CREATE TABLE ${name} (
          id integer PRIMARY KEY,
          status text NOT NULL,
          total numeric NOT NULL,
          tenant text,
          author text,
          tags jsonb
        )`);
    }

    it('captures a multi-row INSERT as one row per inserted row, in the writer transaction', async () => {
      await orderTable('t_insert');
      await installCapture(db, {
        table: 't_insert',
        entityType: 'InsertOrder',
        idColumn: 'id',
        tenantColumn: 'tenant',
      });
      await withSettings(
        db,
        {
          'fraiseql.user_id': 'user-7',
          'fraiseql.traceparent': '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
        (tx) =>
          tx.query(
            `INSERT INTO t_insert (id, status, total, tenant, tags)
             VALUES (1, 'new', 10.5, 'acme', '["a"]'), (2, 'new', 20, 'globex', NULL), (3, 'new', 0, NULL, NULL)`,
          ),
      );

      const rows = await changeLogRows(db, 'InsertOrder');
      expect(rows).toHaveLength(3);
      expect(new Set(rows.map((row) => row.transaction_id)).size).toBe(1);
      const events = await changeLogEvents(db, 'InsertOrder');
      const byId = new Map(events.map((event) => [event.entityId, event]));
      expect(byId.get('1')).toMatchObject({
        eventType: 'INSERT',
        entityType: 'InsertOrder',
        tenantId: 'acme',
        userId: 'user-7',
        data: { id: 1, status: 'new', total: 10.5, tenant: 'acme', author: null, tags: ['a'] },
        metadata: {
          sourceTable: 'public.t_insert',
          changeStatus: 'captured',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
      });
      expect(byId.get('1')?.before).toBeUndefined();
      expect(byId.get('2')?.tenantId).toBe('globex');
      expect(byId.get('3')?.tenantId).toBeUndefined();
      expect(new Set(events.map((event) => event.id)).size).toBe(3);
    });

    it('writes nothing when the writer rolls back', async () => {
      await orderTable('t_rollback');
      await installCapture(db, {
        table: 't_rollback',
        entityType: 'RollbackOrder',
        idColumn: 'id',
      });
      await expect(
        db.transaction(async (tx) => {
          await tx.query(`INSERT INTO t_rollback (id, status, total) VALUES (1, 'new', 1)`);
          throw new Error('abort the writer');
        }),
      ).rejects.toThrow('abort the writer');
      expect(await changeLogRows(db, 'RollbackOrder')).toEqual([]);
    });

    it('captures UPDATE with updated_fields, skipping rows that did not really change', async () => {
      await orderTable('t_update');
      await db.exec(
        `INSERT INTO t_update (id, status, total, tenant) SELECT g, 'new', g, 'acme' FROM generate_series(1, 5) g`,
      );
      await installCapture(db, {
        table: 't_update',
        entityType: 'UpdateOrder',
        idColumn: 'id',
        tenantColumn: 'tenant',
        userColumn: 'author',
      });

      // Five rows touched, two really changed; `total = total` changes nothing.
      await db.query(
        `UPDATE t_update SET total = total,
                             status = CASE WHEN id <= 2 THEN 'paid' ELSE status END,
                             author = CASE WHEN id = 2 THEN 'bob' ELSE author END`,
      );
      const rows = await changeLogRows(db, 'UpdateOrder');
      expect(rows.map((row) => row.object_id).sort()).toEqual(['1', '2']);
      const row2 = rows.find((row) => row.object_id === '2');
      expect(row2?.modification_type).toBe('UPDATE');
      expect(row2?.updated_fields).toEqual(['author', 'status']);
      // Without preImage only the previous values of the changed fields are stored...
      expect(row2?.object_data_before).toEqual({ author: null, status: 'new' });

      // ...which is enough for the event to carry the whole previous row and the changes.
      const events = await changeLogEvents(db, 'UpdateOrder');
      const event2 = events.find((event) => event.entityId === '2');
      expect(event2).toMatchObject({
        eventType: 'UPDATE',
        tenantId: 'acme',
        userId: 'bob',
        data: { id: 2, status: 'paid', total: 2, tenant: 'acme', author: 'bob' },
        before: { id: 2, status: 'new', total: 2, tenant: 'acme', author: null },
        changes: { status: { old: 'new', new: 'paid' }, author: { old: null, new: 'bob' } },
      });
      expect(Object.keys(event2?.changes ?? {}).sort()).toEqual(['author', 'status']);

      // A statement that changes no row at all writes nothing.
      await db.query(`UPDATE t_update SET status = status, tags = tags`);
      expect(await changeLogRows(db, 'UpdateOrder')).toHaveLength(2);
    });

    it('stores the whole previous row with preImage', async () => {
      await orderTable('t_preimage');
      await db.exec(`INSERT INTO t_preimage (id, status, total) VALUES (1, 'new', 5)`);
      await installCapture(db, {
        table: 't_preimage',
        entityType: 'PreImageOrder',
        idColumn: 'id',
        preImage: true,
      });
      await db.query(`UPDATE t_preimage SET total = 6 WHERE id = 1`);
      const [row] = await changeLogRows(db, 'PreImageOrder');
      expect(row?.object_data_before).toEqual({
        id: 1,
        status: 'new',
        total: 5,
        tenant: null,
        author: null,
        tags: null,
      });
      expect(row?.updated_fields).toEqual(['total']);
      const [event] = await changeLogEvents(db, 'PreImageOrder');
      expect(event?.changes).toEqual({ total: { old: 5, new: 6 } });
    });

    it('captures a multi-row DELETE with the deleted rows as data', async () => {
      await orderTable('t_delete');
      await db.exec(
        `INSERT INTO t_delete (id, status, total, tenant) VALUES (1, 'new', 1, 'acme'), (2, 'paid', 2, 'acme'), (3, 'new', 3, 'acme')`,
      );
      await installCapture(db, {
        table: 't_delete',
        entityType: 'DeleteOrder',
        idColumn: 'id',
        tenantColumn: 'tenant',
      });
      await withSettings(db, { 'fraiseql.user_id': 'admin' }, (tx) =>
        tx.query(`DELETE FROM t_delete WHERE id IN (1, 2)`),
      );
      const events = await changeLogEvents(db, 'DeleteOrder');
      expect(events.map((event) => [event.eventType, event.entityId]).sort()).toEqual([
        ['DELETE', '1'],
        ['DELETE', '2'],
      ]);
      expect(events.find((event) => event.entityId === '2')).toMatchObject({
        data: { id: 2, status: 'paid', total: 2, tenant: 'acme', author: null, tags: null },
        tenantId: 'acme',
        userId: 'admin',
      });
    });

    it('records an UPDATE of the id column as the DELETE of the old id and the INSERT of the new', async () => {
      await orderTable('t_rekey');
      await db.exec(`INSERT INTO t_rekey (id, status, total) VALUES (1, 'new', 1), (2, 'new', 2)`);
      await installCapture(db, { table: 't_rekey', entityType: 'RekeyOrder', idColumn: 'id' });
      await db.query(
        `UPDATE t_rekey SET id = id + 10, status = CASE WHEN id = 2 THEN 'paid' ELSE status END WHERE id = 1 OR id = 2`,
      );
      const events = await changeLogEvents(db, 'RekeyOrder');
      expect(events.map((event) => `${event.eventType} ${event.entityId}`).sort()).toEqual([
        'DELETE 1',
        'DELETE 2',
        'INSERT 11',
        'INSERT 12',
      ]);
      expect(events.find((event) => event.entityId === '12')?.data).toMatchObject({
        status: 'paid',
      });
    });

    it('takes tenant and user from transaction settings when no column is configured', async () => {
      await orderTable('t_settings');
      await installCapture(db, {
        table: 't_settings',
        entityType: 'SettingsOrder',
        idColumn: 'id',
      });
      await withSettings(
        db,
        { 'fraiseql.tenant_id': 'tenant-9', 'fraiseql.user_id': 'user-3' },
        (tx) =>
          tx.query(
            `INSERT INTO t_settings (id, status, total, tenant) VALUES (1, 'new', 1, 'ignored')`,
          ),
      );
      // Outside that transaction the settings are gone again.
      await db.query(`INSERT INTO t_settings (id, status, total) VALUES (2, 'new', 1)`);
      const events = await changeLogEvents(db, 'SettingsOrder');
      expect(events.map((event) => [event.entityId, event.tenantId, event.userId])).toEqual([
        ['1', 'tenant-9', 'user-3'],
        ['2', undefined, undefined],
      ]);
    });

    it('is idempotent when installed twice and takes the newest options', async () => {
      await orderTable('t_twice');
      await installCapture(db, { table: 't_twice', entityType: 'TwiceOld', idColumn: 'id' });
      await installCapture(db, { table: 't_twice', entityType: 'TwiceOrder', idColumn: 'id' });
      await installCapture(db, {
        table: 'public.t_twice',
        entityType: 'TwiceOrder',
        idColumn: 'id',
      });
      const triggers = await db.query<{ tgname: string }>(
        `SELECT tgname FROM pg_trigger WHERE tgrelid = 'public.t_twice'::regclass AND NOT tgisinternal ORDER BY tgname`,
      );
      expect(triggers.rows.map((row) => row.tgname)).toEqual(
        Object.values(CAPTURE_TRIGGERS).sort(),
      );
      await db.query(`INSERT INTO t_twice (id, status, total) VALUES (1, 'new', 1)`);
      await db.query(`UPDATE t_twice SET status = 'paid'`);
      await db.query(`DELETE FROM t_twice`);
      expect((await changeLogRows(db, 'TwiceOrder')).map((row) => row.modification_type)).toEqual([
        'INSERT',
        'UPDATE',
        'DELETE',
      ]);
      expect(await changeLogRows(db, 'TwiceOld')).toEqual([]);
    });

    it('stops capturing after uninstallCapture', async () => {
      await orderTable('t_uninstall');
      await installCapture(db, {
        table: 't_uninstall',
        entityType: 'UninstallOrder',
        idColumn: 'id',
      });
      await db.query(`INSERT INTO t_uninstall (id, status, total) VALUES (1, 'new', 1)`);
      await uninstallCapture(db, 't_uninstall');
      await uninstallCapture(db, 't_uninstall');
      await db.query(`INSERT INTO t_uninstall (id, status, total) VALUES (2, 'new', 1)`);
      await db.query(`DELETE FROM t_uninstall`);
      expect((await changeLogRows(db, 'UninstallOrder')).map((row) => row.object_id)).toEqual([
        '1',
      ]);
    });

    it('captures tables whose schema and names need quoting', async () => {
      await db.exec(`
        CREATE SCHEMA "Sales Dept";
        CREATE TABLE "Sales Dept"."Order Line" ("Line Id" uuid PRIMARY KEY DEFAULT gen_random_uuid(), "it's" text)`);
      await installCapture(db, {
        table: 'Sales Dept.Order Line',
        entityType: "Line's",
        idColumn: 'Line Id',
      });
      const inserted = await db.query<{ id: string }>(
        `INSERT INTO "Sales Dept"."Order Line" ("it's") VALUES ('x\\y') RETURNING "Line Id"::text AS id`,
      );
      const [event] = await changeLogEvents(db, "Line's");
      expect(event?.entityId).toBe(inserted.rows[0]?.id);
      expect(event?.data["it's"]).toBe('x\\y');
      expect(event?.metadata?.sourceTable).toBe('Sales Dept.Order Line');
    });

    it('records whole rows even when columns share the names of its internal aliases', async () => {
      await db.exec(`
        CREATE TABLE t_aliases (id integer PRIMARY KEY, r text, o text, n text, d text, j text, e text, f text)`);
      await installCapture(db, { table: 't_aliases', entityType: 'AliasRow', idColumn: 'id' });
      await db.query(`INSERT INTO t_aliases VALUES (1, 'r', 'o', 'n', 'd', 'j', 'e', 'f')`);
      await db.query(`UPDATE t_aliases SET r = 'r2', f = 'f2'`);
      await db.query(`DELETE FROM t_aliases`);
      const events = await changeLogEvents(db, 'AliasRow');
      const row = { id: 1, r: 'r', o: 'o', n: 'n', d: 'd', j: 'j', e: 'e', f: 'f' };
      expect(events.map((event) => [event.eventType, event.data])).toEqual([
        ['INSERT', row],
        ['UPDATE', { ...row, r: 'r2', f: 'f2' }],
        ['DELETE', { ...row, r: 'r2', f: 'f2' }],
      ]);
      expect(events[1]?.changes).toEqual({
        f: { old: 'f', new: 'f2' },
        r: { old: 'r', new: 'r2' },
      });
    });

    it('captures writes of a role that has no privileges on the change log', async () => {
      const role = uniqueName('fraiseql_writer');
      await orderTable('t_roles');
      await installCapture(db, { table: 't_roles', entityType: 'RoleOrder', idColumn: 'id' });
      await db.exec(`
        CREATE ROLE ${role} NOLOGIN;
        GRANT USAGE ON SCHEMA public TO ${role};
        GRANT SELECT, INSERT, UPDATE, DELETE ON t_roles TO ${role};`);
      try {
        await db.transaction(async (tx) => {
          await tx.exec(`SET LOCAL ROLE ${role}`);
          await tx.query(`INSERT INTO t_roles (id, status, total) VALUES (1, 'new', 1)`);
          await tx.query(`UPDATE t_roles SET status = 'paid'`);
        });
        const denied = await db
          .transaction(async (tx) => {
            await tx.exec(`SET LOCAL ROLE ${role}`);
            await tx.query('SELECT count(*) FROM core.tb_entity_change_log');
          })
          .then(
            () => undefined,
            (error: unknown) => error,
          );
        expect(String(denied)).toMatch(/permission denied/);
        expect((await changeLogRows(db, 'RoleOrder')).map((row) => row.modification_type)).toEqual([
          'INSERT',
          'UPDATE',
        ]);
      } finally {
        await db.exec(`DROP TABLE t_roles; DROP OWNED BY ${role}; DROP ROLE ${role};`);
      }
    });

    it('names the missing table or column', async () => {
      await orderTable('t_missing');
      const attempts = [
        {
          options: { table: 'no_such_table', entityType: 'X', idColumn: 'id' },
          names: 'no_such_table',
        },
        {
          options: { table: 't_missing', entityType: 'X', idColumn: 'uuid' },
          names: '"uuid" (idColumn)',
        },
        {
          options: { table: 't_missing', entityType: 'X', idColumn: 'id', tenantColumn: 'org' },
          names: '"org" (tenantColumn)',
        },
        {
          options: { table: 't_missing', entityType: 'X', idColumn: 'id', userColumn: 'by' },
          names: '"by" (userColumn)',
        },
      ];
      for (const { options, names } of attempts) {
        const error: unknown = await installCapture(db, options).catch((caught: unknown) => caught);
        expect(isCoreError(error, 'CAPTURE_TARGET_MISSING')).toBe(true);
        expect((error as Error).message).toContain(names);
      }
      const uninstall: unknown = await uninstallCapture(db, 'no_such_table').catch(
        (caught: unknown) => caught,
      );
      expect(isCoreError(uninstall, 'CAPTURE_TARGET_MISSING')).toBe(true);
      const notUnique: unknown = await installCapture(db, {
        table: 't_missing',
        entityType: 'X',
        idColumn: 'status',
      }).catch((caught: unknown) => caught);
      expect(isCoreError(notUnique, 'INVALID_ARGUMENT')).toBe(true);
      expect((notUnique as Error).message).toContain('"status" of public.t_missing is not unique');
      const triggers = await db.query(
        `SELECT 1 FROM pg_trigger WHERE tgrelid = 'public.t_missing'::regclass AND NOT tgisinternal`,
      );
      expect(triggers.rows).toEqual([]);
    });

    it('turns a 10,000-row UPDATE into 10,000 rows from one trigger call and one insert statement', async () => {
      await orderTable('t_bulk');
      await db.exec(
        `INSERT INTO t_bulk (id, status, total) SELECT g, 'new', g FROM generate_series(1, 10000) g`,
      );
      await installCapture(db, { table: 't_bulk', entityType: 'BulkOrder', idColumn: 'id' });
      // A test-only statement-level counter on the change log: one per INSERT statement into it.
      await db.exec(`
        CREATE TABLE change_log_statements (n integer NOT NULL);
        CREATE FUNCTION count_change_log_statement() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN INSERT INTO public.change_log_statements VALUES (1); RETURN NULL; END $$;
        CREATE TRIGGER count_change_log_statement AFTER INSERT ON core.tb_entity_change_log
          FOR EACH STATEMENT EXECUTE FUNCTION count_change_log_statement();`);
      try {
        const calls = await db.transaction(async (tx) => {
          await tx.exec(`SET LOCAL track_functions = 'pl'`);
          await tx.query(`UPDATE t_bulk SET status = 'paid'`);
          // The table's own capture function, the one its triggers call.
          const stats = await tx.query<{ calls: string | number }>(
            `SELECT s.calls FROM pg_stat_xact_user_functions s
               JOIN pg_trigger t ON t.tgfoid = s.funcid
              WHERE t.tgrelid = 'public.t_bulk'::regclass AND t.tgname = 'fraiseql_capture_update'`,
          );
          return Number(stats.rows[0]?.calls);
        });
        expect(calls).toBe(1);
        const statements = await db.query<{ n: string | number }>(
          'SELECT count(*) AS n FROM change_log_statements',
        );
        expect(Number(statements.rows[0]?.n)).toBe(1);
        const summary = await db.query<{ n: string | number; transactions: string | number }>(
          `SELECT count(*) AS n, count(DISTINCT transaction_id) AS transactions
             FROM core.tb_entity_change_log WHERE object_type = 'BulkOrder' AND modification_type = 'UPDATE'`,
        );
        expect(Number(summary.rows[0]?.n)).toBe(10_000);
        expect(Number(summary.rows[0]?.transactions)).toBe(1);
      } finally {
        await db.exec(`DROP TRIGGER count_change_log_statement ON core.tb_entity_change_log`);
      }
    });
  });
});
