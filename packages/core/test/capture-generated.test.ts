import { waitFor } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  installCapture,
  isCoreError,
  listCaptures,
  migrate,
  refreshCapture,
  uninstallCapture,
  type SqlClient,
} from '../src/index.js';
import { BACKENDS, closeBackends, type OpenDatabase } from './backends.js';
import { changeLogEvents, changeLogRows, withSettings } from './change-log-helpers.js';

afterAll(closeBackends);

// Column names and types that quoting, JSON images and change detection must survive: quotes,
// spaces, a reserved word, the generator's own dollar-quote tag, types without an equality
// operator (json, point), values whose text differs while their JSON is equal (numeric scale,
// SQL NULL against JSON null), arrays, a composite, a domain, bytea and a generated column.
const HOSTILE_COLUMNS = `
  "Id" integer PRIMARY KEY,
  "select" text,
  "it's ""quoted"" $fraiseql$" text,
  "with space" numeric,
  f8 float8,
  j json,
  jb jsonb,
  pt point,
  arr integer[],
  pair fraiseql_pair,
  dom fraiseql_positive,
  ts timestamptz,
  raw bytea,
  tenant text,
  who text,
  gen text GENERATED ALWAYS AS ("select" || '!') STORED`;

// The same statements for both tables; `$T` is the table.
const SCRIPT = [
  `INSERT INTO $T ("Id", "select", "it's ""quoted"" $fraiseql$", "with space", f8, j, jb, pt, arr, pair, dom, ts, raw, tenant, who)
   VALUES (1, '''; DROP TABLE x; --', '$fraiseql$ \\ ✓', 1.5, 0.1, NULL, 'null', point(0,0), '{1,2}', ROW(1.0, 'EUR'), 1, '2024-01-01 00:00+00', '\\x00ff', 'acme', 'ann'),
          (2, 'b', NULL, 2, 'NaN', '{"a": [1, {"b": null}]}', '{"z": 1, "a": 2}', NULL, NULL, NULL, 2, NULL, NULL, NULL, NULL),
          (3, 'c', 'x', -0.0, -0, '[]', NULL, point(1,1), '{}', ROW(NULL, NULL), 3, '2024-02-29 12:34:56.789+01', '', 'globex', 'bob'),
          (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
  `UPDATE $T SET "select" = "select", j = j, pt = pt, pair = pair, raw = raw`,
  `UPDATE $T SET "with space" = "with space" * 1.00, ts = ts + interval '0 s', f8 = f8 * 1`,
  `UPDATE $T SET j = 'null' WHERE j IS NULL`,
  `UPDATE $T SET jb = NULL WHERE jb = 'null'::jsonb`,
  `UPDATE $T SET pt = point(1, 2) WHERE "Id" = 1`,
  `UPDATE $T SET arr = arr || 5, "it's ""quoted"" $fraiseql$" = 'changed' WHERE "Id" = 2`,
  `UPDATE $T SET pair = ROW(1.00, 'EUR'), jb = '{"a": 2, "z": 1}' WHERE "Id" IN (1, 2)`,
  `UPDATE $T SET pair = ROW(2, 'USD'), tenant = 'initech', who = NULL WHERE "Id" = 1`,
  `UPDATE $T SET "Id" = "Id" + 100, "select" = 'rekeyed' WHERE "Id" = 3`,
  `UPDATE $T SET "select" = CASE WHEN "Id" = 2 THEN 'two' ELSE "select" END`,
  `DELETE FROM $T WHERE "Id" IN (1, 103)`,
  `INSERT INTO $T ("Id", "select") SELECT g, 'bulk ' || g FROM generate_series(10, 60) g`,
  `UPDATE $T SET "select" = "select" || '.' WHERE "Id" % 2 = 0`,
  `DELETE FROM $T`,
];

describe.each(BACKENDS)('generated capture functions on $name', (backend) => {
  describe.runIf(backend.available)('', () => {
    let open: OpenDatabase;
    let db: SqlClient;
    let autoRefresh = false;

    beforeAll(async () => {
      open = await backend.open();
      db = open.db;
      await migrate(db);
      await db.exec(`
        CREATE TYPE fraiseql_pair AS (amount numeric, cur text);
        CREATE DOMAIN fraiseql_positive AS integer CHECK (VALUE > 0);`);
      // Does this backend run the event trigger? (PostgreSQL does when the migration ran as a
      // superuser.) Probe it: a new column must show up in the function without a refresh.
      await db.exec(`CREATE TABLE t_probe (id integer PRIMARY KEY)`);
      await installCapture(db, { table: 't_probe', entityType: 'Probe' });
      await db.exec(`ALTER TABLE t_probe ADD COLUMN probe_column integer`);
      autoRefresh = (await captureFunction('t_probe')).source.includes('probe_column');
      await uninstallCapture(db, 't_probe');
      await db.exec(`DROP TABLE t_probe`);
      if (backend.name === 'postgres') {
        const superuser = await db.query<{ rolsuper: boolean }>(
          `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`,
        );
        expect(autoRefresh).toBe(superuser.rows[0]?.rolsuper === true);
      }
    });
    afterAll(async () => {
      await open.close();
    });

    /** The function a table's UPDATE trigger calls, and its source. */
    async function captureFunction(table: string): Promise<{ name: string; source: string }> {
      const result = await db.query<{ name: string; source: string }>(
        `SELECT p.oid::regprocedure::text AS name, p.prosrc AS source
           FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
          WHERE t.tgrelid = $1::regclass AND t.tgname = 'fraiseql_capture_update'`,
        [table],
      );
      const row = result.rows[0];
      if (row === undefined) throw new Error(`${table} has no capture trigger`);
      return row;
    }

    /** Installs the generic function of earlier versions, as their installCapture did. */
    async function installGeneric(
      table: string,
      args: readonly [string, string, string, string, boolean],
    ): Promise<void> {
      const [entity, id, tenant, user, preImage] = args;
      const call = `FOR EACH STATEMENT EXECUTE FUNCTION core.fn_capture_change('${entity}', '${id}', '${tenant}', '${user}', '${String(preImage)}', 'true')`;
      await db.exec(`
        CREATE TRIGGER fraiseql_capture_insert AFTER INSERT ON ${table} REFERENCING NEW TABLE AS fraiseql_new ${call};
        CREATE TRIGGER fraiseql_capture_update AFTER UPDATE ON ${table} REFERENCING OLD TABLE AS fraiseql_old NEW TABLE AS fraiseql_new ${call};
        CREATE TRIGGER fraiseql_capture_delete AFTER DELETE ON ${table} REFERENCING OLD TABLE AS fraiseql_old ${call};`);
    }

    /** What a change-log row says, without what differs by table (sequence, id, entity, table). */
    async function written(entityType: string, afterSeq: string): Promise<string[]> {
      const result = await db.query<{ row: string }>(
        `SELECT json_build_array(tenant_id, fk_contact, object_id, modification_type, change_status,
                                 object_data, object_data_before, updated_fields,
                                 extra_metadata - 'source_table')::text AS row
           FROM core.tb_entity_change_log
          WHERE object_type = $1 AND pk_entity_change_log > $2::bigint`,
        [entityType, afterSeq],
      );
      return result.rows.map((row) => row.row).sort();
    }

    async function lastSeq(): Promise<string> {
      const result = await db.query<{ seq: string }>(
        `SELECT coalesce(max(pk_entity_change_log), 0)::text AS seq FROM core.tb_entity_change_log`,
      );
      return result.rows[0]?.seq ?? '0';
    }

    it('attaches a function of its own to each table, with static SQL naming its columns', async () => {
      await db.exec(`
        CREATE TABLE tb_static_a (id integer PRIMARY KEY, status text);
        CREATE TABLE tb_static_b (id integer PRIMARY KEY, "Total Amount" numeric)`);
      await installCapture(db, { table: 'tb_static_a', entityType: 'StaticA' });
      await installCapture(db, { table: 'tb_static_b', entityType: 'StaticB' });
      const a = await captureFunction('tb_static_a');
      const b = await captureFunction('tb_static_b');
      expect(a.name).toMatch(/^core\.fn_capture_t_\d+\(\)$/);
      expect(b.name).not.toBe(a.name);
      for (const fn of [a, b]) {
        expect(fn.source).not.toMatch(/\bEXECUTE\b/);
        expect(fn.source).not.toMatch(/jsonb_each|TG_ARGV/);
      }
      expect(a.source).toContain('o.status IS DISTINCT FROM n.status');
      expect(b.source).toContain('"Total Amount"');
      expect(b.source).toContain("'StaticB'");

      // The generic function is not involved any more.
      const calls = await db.transaction(async (tx) => {
        await tx.exec(`SET LOCAL track_functions = 'pl'`);
        await tx.query(`INSERT INTO tb_static_a VALUES (1, 'new')`);
        await tx.query(`UPDATE tb_static_a SET status = 'paid'`);
        const stats = await tx.query<{ name: string; calls: string | number }>(
          `SELECT funcname AS name, calls FROM pg_stat_xact_user_functions WHERE schemaname = 'core'`,
        );
        return Object.fromEntries(stats.rows.map((row) => [row.name, Number(row.calls)]));
      });
      expect(calls[a.name.replace(/^core\.|\(\)$/g, '')]).toBe(2);
      expect(calls.fn_capture_change).toBeUndefined();
      expect(
        (await changeLogRows(db, 'StaticA')).map((row) => [
          row.modification_type,
          row.updated_fields,
        ]),
      ).toEqual([
        ['INSERT', null],
        ['UPDATE', ['status']],
      ]);
    });

    it.each([
      { label: 'settings, changed fields only', tenant: '', user: '', preImage: false },
      { label: 'columns, whole pre-image', tenant: 'tenant', user: 'who', preImage: true },
    ])(
      'writes exactly what the generic function wrote, with hostile names and values ($label)',
      async ({ tenant, user, preImage }) => {
        const suffix = preImage ? 'pre' : 'fields';
        const generic = `t_generic_${suffix}`;
        const generated = `t_generated_${suffix}`;
        await db.exec(`CREATE TABLE ${generic} (${HOSTILE_COLUMNS});
                       CREATE TABLE ${generated} (${HOSTILE_COLUMNS});`);
        await installGeneric(generic, [`Generic_${suffix}`, 'Id', tenant, user, preImage]);
        await installCapture(db, {
          table: generated,
          entityType: `Generated_${suffix}`,
          idColumn: 'Id',
          tenantColumn: tenant === '' ? undefined : tenant,
          userColumn: user === '' ? undefined : user,
          preImage,
        });
        const settings = {
          'fraiseql.tenant_id': 'tenant-from-setting',
          'fraiseql.user_id': "o'brien",
          'fraiseql.traceparent': '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        };
        let compared = 0;
        for (const [index, statement] of SCRIPT.entries()) {
          const before = await lastSeq();
          for (const table of [generic, generated]) {
            const sql = statement.replaceAll('$T', table);
            if (index % 2 === 0) await withSettings(db, settings, (tx) => tx.query(sql));
            else await db.query(sql);
          }
          const expected = await written(`Generic_${suffix}`, before);
          expect(await written(`Generated_${suffix}`, before), statement).toEqual(expected);
          compared += expected.length;
        }
        // The script really wrote rows of every kind (and skipped the UPDATEs that changed nothing).
        const kinds = await db.query<{ kind: string; n: string | number }>(
          `SELECT modification_type AS kind, count(*) AS n FROM core.tb_entity_change_log
            WHERE object_type = $1 GROUP BY 1 ORDER BY 1`,
          [`Generated_${suffix}`],
        );
        expect(kinds.rows.map((row) => [row.kind, Number(row.n)])).toEqual([
          ['DELETE', 56],
          ['INSERT', 56],
          ['UPDATE', 33],
        ]);
        expect(compared).toBe(145);
      },
    );

    it('follows added, dropped and renamed columns', async () => {
      await db.exec(`CREATE TABLE t_columns (id integer PRIMARY KEY, status text, tenant text)`);
      await installCapture(db, {
        table: 't_columns',
        entityType: 'Columns',
        tenantColumn: 'tenant',
      });
      await db.query(`INSERT INTO t_columns VALUES (1, 'new', 'acme')`);
      const refresh = async (): Promise<void> => {
        // With the event trigger the ALTER TABLE already did this; a refresh is then harmless.
        if (!autoRefresh) await refreshCapture(db, { tables: ['t_columns'] });
      };

      await db.exec(`ALTER TABLE t_columns ADD COLUMN "Priority ""P""" integer`);
      await refresh();
      // Only the new column changes: an UPDATE the function must see.
      await db.query(`UPDATE t_columns SET "Priority ""P""" = 2`);
      await db.exec(`ALTER TABLE t_columns DROP COLUMN status`);
      await refresh();
      await db.query(`UPDATE t_columns SET "Priority ""P""" = 3`);
      await db.exec(`ALTER TABLE t_columns RENAME COLUMN id TO "order id"`);
      await db.exec(`ALTER TABLE t_columns RENAME COLUMN tenant TO org`);
      await refresh();
      await db.query(`UPDATE t_columns SET org = 'globex'`);
      await db.query(`DELETE FROM t_columns`);

      const events = await changeLogEvents(db, 'Columns');
      expect(
        events.map((event) => [event.eventType, event.entityId, event.tenantId, event.changes]),
      ).toEqual([
        ['INSERT', '1', 'acme', undefined],
        ['UPDATE', '1', 'acme', { 'Priority "P"': { old: null, new: 2 } }],
        ['UPDATE', '1', 'acme', { 'Priority "P"': { old: 2, new: 3 } }],
        ['UPDATE', '1', 'globex', { org: { old: 'acme', new: 'globex' } }],
        ['DELETE', '1', 'globex', undefined],
      ]);
      expect(events.at(-1)?.data).toEqual({ 'order id': 1, org: 'globex', 'Priority "P"': 3 });
      const [listed] = (await listCaptures(db)).filter(
        (entry) => entry.table === 'public.t_columns',
      );
      expect(listed).toMatchObject({ idColumn: 'order id', tenantColumn: 'org' });
    });

    it('refuses to lose a column the capture needs', async () => {
      await db.exec(`CREATE TABLE t_needed (id integer PRIMARY KEY, who text)`);
      await installCapture(db, { table: 't_needed', entityType: 'Needed', userColumn: 'who' });
      if (autoRefresh) {
        // The event trigger makes the ALTER TABLE fail, so the table keeps its column.
        await expect(db.exec(`ALTER TABLE t_needed DROP COLUMN who`)).rejects.toThrow(
          /column who \(userColumn\) of public\.t_needed was dropped/,
        );
      } else {
        await db.exec(`ALTER TABLE t_needed DROP COLUMN who`);
        const error: unknown = await refreshCapture(db, { tables: ['t_needed'] }).catch(
          (caught: unknown) => caught,
        );
        expect(isCoreError(error, 'INVALID_ARGUMENT')).toBe(true);
        expect((error as Error).message).toContain('who (userColumn) of public.t_needed');
      }
    });

    it('refreshes: a dry run changes nothing, a generic capture moves to its own function, unused functions go', async () => {
      await db.exec(`CREATE TABLE t_refresh (id integer PRIMARY KEY, status text, tenant text);
                     CREATE TABLE t_gone (id integer PRIMARY KEY)`);
      await installGeneric('t_refresh', ['Refresh', 'id', 'tenant', '', false]);
      const listedBefore = (await listCaptures(db)).find((e) => e.table === 'public.t_refresh');
      const dry = await refreshCapture(db, { tables: ['t_refresh'], dryRun: true });
      expect(dry).toHaveLength(1);
      expect(dry[0]).toMatchObject({ table: 'public.t_refresh', applied: false });
      expect(dry[0]?.statements[0]).toMatch(
        /^CREATE OR REPLACE FUNCTION core\."fn_capture_t_\d+"\(\)/,
      );
      expect(dry[0]?.statements.filter((s) => s.startsWith('CREATE TRIGGER'))).toHaveLength(3);
      expect((await captureFunction('t_refresh')).name).toBe('core.fn_capture_change()');

      const [applied] = await refreshCapture(db, { tables: ['t_refresh'] });
      expect(applied?.applied).toBe(true);
      expect((await captureFunction('t_refresh')).name).toMatch(/^core\.fn_capture_t_\d+\(\)$/);
      expect((await listCaptures(db)).find((e) => e.table === 'public.t_refresh')).toEqual(
        listedBefore,
      );
      await db.query(`INSERT INTO t_refresh VALUES (1, 'new', 'acme')`);
      expect((await changeLogEvents(db, 'Refresh')).map((e) => [e.entityId, e.tenantId])).toEqual([
        ['1', 'acme'],
      ]);

      // A refresh of an up-to-date table only replaces its function.
      const [again] = await refreshCapture(db, { tables: ['public.t_refresh'] });
      expect(again?.statements).toHaveLength(1);

      await installCapture(db, { table: 't_gone', entityType: 'Gone' });
      const gone = (await captureFunction('t_gone')).name;
      await uninstallCapture(db, 't_gone');
      const all = await refreshCapture(db);
      expect(all.map((change) => change.table)).toContain('public.t_refresh');
      const cleanup = all.find((change) => change.table === '');
      expect(cleanup?.statements).toContain(
        `DROP FUNCTION IF EXISTS core.${gone.replace(/^core\.|\(\)$/g, '')}()`,
      );
      const remaining = await db.query(`SELECT to_regprocedure($1) AS fn`, [gone]);
      expect(remaining.rows).toEqual([{ fn: null }]);

      const notCaptured: unknown = await refreshCapture(db, { tables: ['t_gone'] }).catch(
        (caught: unknown) => caught,
      );
      expect(isCoreError(notCaptured, 'CAPTURE_TARGET_MISSING')).toBe(true);
      expect((notCaptured as Error).message).toContain('public.t_gone is not captured');
    });

    it('keeps notify: false quiet and a notifying table at one wake-up per transaction', async () => {
      await db.exec(`CREATE TABLE t_quiet (id integer PRIMARY KEY);
                     CREATE TABLE t_loud (id integer PRIMARY KEY)`);
      await installCapture(db, { table: 't_quiet', entityType: 'Quiet', notify: false });
      await installCapture(db, { table: 't_loud', entityType: 'Loud' });
      const payloads: string[] = [];
      const unlisten = await db.listen('fraiseql_change_log', (payload) => payloads.push(payload));
      try {
        await db.query(`INSERT INTO t_quiet VALUES (1)`);
        await db.transaction(async (tx) => {
          await tx.query(`INSERT INTO t_quiet VALUES (2)`);
          await tx.query(`INSERT INTO t_loud VALUES (1)`);
          await tx.query(`INSERT INTO t_loud VALUES (2)`);
          await tx.query(`INSERT INTO t_quiet VALUES (3)`);
        });
        const seqs = await db.query<{ seq: string }>(
          `SELECT pk_entity_change_log::text AS seq FROM core.tb_entity_change_log
            WHERE object_type = 'Loud' ORDER BY 1`,
        );
        const fence = await lastSeq();
        await db.query(`INSERT INTO t_loud VALUES (3)`);
        const fenceSeq = String(BigInt(fence) + 1n);
        await waitFor(() => payloads.includes(fenceSeq), { message: 'the fence wake-up' });
        // One wake-up for the transaction (its first loud insert), one for the fence.
        expect(payloads).toEqual([seqs.rows[0]?.seq, fenceSeq]);
      } finally {
        await unlisten();
      }
    });
  });
});
