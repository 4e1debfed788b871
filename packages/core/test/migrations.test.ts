import { fileURLToPath } from 'node:url';

import { spawnNode, waitFor } from '@fraiseql/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import {
  coreMigrations,
  defineMigrationSet,
  isCoreError,
  migrate,
  migrationChecksum,
  resolveMigration,
  type SqlClient,
} from '../src/index.js';
import { BACKENDS, closeBackends, type OpenDatabase } from './backends.js';

const CORE_IDS = [
  '0001_change_log',
  '0002_capture',
  '0003_capture_notify',
  '0004_capture_per_table',
  '0005_change_log_reader',
];

async function exists(db: SqlClient, relation: string): Promise<boolean> {
  const result = await db.query<{ present: boolean }>(
    'SELECT to_regclass($1) IS NOT NULL AS present',
    [relation],
  );
  return result.rows[0]?.present === true;
}

async function ledger(db: SqlClient): Promise<{ namespace: string; id: string; status: string }[]> {
  const result = await db.query<{ namespace: string; id: string; status: string }>(
    'SELECT namespace, id, status FROM core.tb_schema_migration ORDER BY namespace, id',
  );
  return result.rows;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const outcome: unknown = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected the call to fail, it succeeded');
  return outcome;
}

afterAll(closeBackends);

describe.each(BACKENDS)('migrations on $name', (backend) => {
  describe.runIf(backend.available)('', () => {
    const opened: OpenDatabase[] = [];
    async function fresh(): Promise<OpenDatabase> {
      const database = await backend.open();
      opened.push(database);
      return database;
    }
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((database) => database.close()));
    });

    it('creates the change log once and records what it applied', async () => {
      const { db } = await fresh();
      const first = await migrate(db);
      expect(first).toEqual({
        dryRun: false,
        namespaces: [{ namespace: 'core', applied: CORE_IDS, skipped: [], pending: [] }],
      });
      const second = await migrate(db);
      expect(second.namespaces[0]).toEqual({
        namespace: 'core',
        applied: [],
        skipped: CORE_IDS,
        pending: [],
      });
      expect(await ledger(db)).toEqual(
        CORE_IDS.map((id) => ({ namespace: 'core', id, status: 'applied' })),
      );
      const columns = await db.query<{
        column_name: string;
        data_type: string;
        is_nullable: string;
      }>(
        `SELECT column_name, data_type, is_nullable FROM information_schema.columns
          WHERE table_schema = 'core' AND table_name = 'tb_entity_change_log' ORDER BY ordinal_position`,
      );
      expect(columns.rows.map((c) => `${c.column_name} ${c.data_type} ${c.is_nullable}`)).toEqual([
        'pk_entity_change_log bigint NO',
        'id uuid NO',
        'tenant_id text YES',
        'fk_contact text YES',
        'object_type text NO',
        'object_id text NO',
        'modification_type text NO',
        'change_status text YES',
        'object_data jsonb YES',
        'object_data_before jsonb YES',
        'updated_fields ARRAY YES',
        'extra_metadata jsonb YES',
        'created_at timestamp with time zone NO',
        'transaction_id xid8 NO',
      ]);
      expect(await exists(db, 'core.idx_entity_change_log_transaction')).toBe(true);
      const bad = await failure(
        db.query(
          `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type) VALUES ('X', '1', 'UPSERT')`,
        ),
      );
      expect(bad.message).toContain('tb_entity_change_log_modification_type_check');
    });

    it('changes nothing in a dry run', async () => {
      const { db } = await fresh();
      const report = await migrate(db, { dryRun: true });
      expect(report).toEqual({
        dryRun: true,
        namespaces: [{ namespace: 'core', applied: [], skipped: [], pending: CORE_IDS }],
      });
      const schema = await db.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'core'`);
      expect(schema.rows).toEqual([]);

      const extra = defineMigrationSet('extra', [
        { id: '0001_t', sql: 'CREATE TABLE extra_t (id int)' },
      ]);
      await migrate(db);
      const after = await migrate(db, { dryRun: true, sets: [coreMigrations, extra] });
      expect(after.namespaces).toEqual([
        { namespace: 'core', applied: [], skipped: CORE_IDS, pending: [] },
        { namespace: 'extra', applied: [], skipped: [], pending: ['0001_t'] },
      ]);
      expect(await exists(db, 'extra_t')).toBe(false);
    });

    it('accepts an existing FraiseQL change log, keeping its rows and column types', async () => {
      const { db } = await fresh();
      // The shape FraiseQL creates: uuid tenant and object ids, bigint contact, no pre-image
      // column, no transaction id, and Debezium envelopes in object_data.
      await db.exec(`
        CREATE SCHEMA core;
        CREATE TABLE core.tb_entity_change_log (
          pk_entity_change_log bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          tenant_id uuid,
          fk_customer_org bigint,
          fk_contact bigint,
          object_type text NOT NULL,
          object_id uuid,
          modification_type text NOT NULL,
          change_status text,
          object_data jsonb,
          updated_fields text[],
          extra_metadata jsonb,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        INSERT INTO core.tb_entity_change_log
          (id, tenant_id, fk_contact, object_type, object_id, modification_type, object_data, updated_fields)
        VALUES
          ('6f1c2a52-1b7e-4c55-9a8e-0c8d1d7f0001', '11111111-1111-4111-8111-111111111111', 42, 'Order',
           '22222222-2222-4222-8222-222222222222', 'INSERT',
           '{"op": "c", "before": null, "after": {"status": "new"}, "source": {"table": "tb_order"}}', NULL),
          ('6f1c2a52-1b7e-4c55-9a8e-0c8d1d7f0002', '11111111-1111-4111-8111-111111111111', 42, 'Order',
           '22222222-2222-4222-8222-222222222222', 'UPDATE',
           '{"op": "u", "before": {"status": "new"}, "after": {"status": "paid"}, "source": {"table": "tb_order"}}',
           '{status}');`);

      await migrate(db);

      const types = await db.query<{ column_name: string; udt_name: string }>(
        `SELECT column_name, udt_name FROM information_schema.columns
          WHERE table_schema = 'core' AND table_name = 'tb_entity_change_log'
            AND column_name IN ('tenant_id', 'fk_contact', 'object_id', 'object_data_before', 'transaction_id', 'fk_customer_org')
          ORDER BY column_name`,
      );
      expect(types.rows).toEqual([
        { column_name: 'fk_contact', udt_name: 'int8' },
        { column_name: 'fk_customer_org', udt_name: 'int8' },
        { column_name: 'object_data_before', udt_name: 'jsonb' },
        { column_name: 'object_id', udt_name: 'uuid' },
        { column_name: 'tenant_id', udt_name: 'uuid' },
        { column_name: 'transaction_id', udt_name: 'xid8' },
      ]);
      const { changeLogEvents } = await import('./change-log-helpers.js');
      const existing = await changeLogEvents(db, 'Order');
      expect(existing.map((event) => [event.seq, event.eventType, event.userId])).toEqual([
        [1n, 'INSERT', '42'],
        [2n, 'UPDATE', '42'],
      ]);
      expect(existing[1]).toMatchObject({
        id: '6f1c2a52-1b7e-4c55-9a8e-0c8d1d7f0002',
        entityId: '22222222-2222-4222-8222-222222222222',
        tenantId: '11111111-1111-4111-8111-111111111111',
        data: { status: 'paid' },
        before: { status: 'new' },
        changes: { status: { old: 'new', new: 'paid' } },
        metadata: { envelopeSource: { table: 'tb_order' } },
      });
      // `id` became unique, as every event's idempotency key must be.
      const duplicate = await failure(
        db.query(
          `INSERT INTO core.tb_entity_change_log (id, object_type, modification_type)
           VALUES ('6f1c2a52-1b7e-4c55-9a8e-0c8d1d7f0001', 'Order', 'CUSTOM')`,
        ),
      );
      expect(duplicate.message).toMatch(/duplicate key/);

      // Capture writes into the existing column types: uuid ids and tenant, bigint contact.
      await db.exec(`
        CREATE TABLE tb_invoice (id uuid PRIMARY KEY, fk_org uuid NOT NULL, amount integer NOT NULL)`);
      const { installCapture } = await import('../src/index.js');
      const { withSettings } = await import('./change-log-helpers.js');
      await installCapture(db, {
        table: 'tb_invoice',
        entityType: 'Invoice',
        idColumn: 'id',
        tenantColumn: 'fk_org',
      });
      await withSettings(db, { 'fraiseql.user_id': '7' }, (tx) =>
        tx.query(
          `INSERT INTO tb_invoice VALUES ('33333333-3333-4333-8333-333333333333', '11111111-1111-4111-8111-111111111111', 10)`,
        ),
      );
      // A user id the bigint column cannot hold is dropped (with a warning), never failing the write.
      await withSettings(db, { 'fraiseql.user_id': 'alice' }, (tx) =>
        tx.query(`UPDATE tb_invoice SET amount = 11`),
      );
      const invoices = await changeLogEvents(db, 'Invoice');
      expect(
        invoices.map((event) => [event.eventType, event.entityId, event.tenantId, event.userId]),
      ).toEqual([
        [
          'INSERT',
          '33333333-3333-4333-8333-333333333333',
          '11111111-1111-4111-8111-111111111111',
          '7',
        ],
        [
          'UPDATE',
          '33333333-3333-4333-8333-333333333333',
          '11111111-1111-4111-8111-111111111111',
          undefined,
        ],
      ]);
      expect(invoices[1]?.changes).toEqual({ amount: { old: 10, new: 11 } });
    });

    it('stops at a changed migration, naming it', async () => {
      const { db } = await fresh();
      const v1 = defineMigrationSet('shop', [
        { id: '0001_items', sql: 'CREATE TABLE shop_items (id int)' },
      ]);
      await migrate(db, { sets: [v1] });
      const v2 = defineMigrationSet('shop', [
        { id: '0001_items', sql: 'CREATE TABLE shop_items (id bigint)' },
        { id: '0002_prices', sql: 'CREATE TABLE shop_prices (id int)' },
      ]);
      const error = await failure(migrate(db, { sets: [v2] }));
      expect(isCoreError(error, 'MIGRATION_CHECKSUM_MISMATCH')).toBe(true);
      expect(error.message).toContain('shop/0001_items');
      expect(await exists(db, 'shop_prices')).toBe(false);
    });

    it('rolls a failing migration back completely and applies it once fixed', async () => {
      const { db } = await fresh();
      const broken = defineMigrationSet('shop', [
        {
          id: '0001_items',
          sql: 'CREATE TABLE shop_items (id int);\nINSERT INTO shop_itemz VALUES (1);',
        },
      ]);
      const error = await failure(migrate(db, { sets: [broken] }));
      expect(isCoreError(error, 'MIGRATION_FAILED')).toBe(true);
      expect(error.message).toMatch(
        /^migration shop\/0001_items failed at line 2: relation "shop_itemz" does not exist/,
      );
      expect(await exists(db, 'shop_items')).toBe(false);
      expect(await ledger(db)).toEqual([]);

      const fixed = defineMigrationSet('shop', [
        {
          id: '0001_items',
          sql: 'CREATE TABLE shop_items (id int);\nINSERT INTO shop_items VALUES (1);',
        },
      ]);
      const report = await migrate(db, { sets: [fixed] });
      expect(report.namespaces[0]?.applied).toEqual(['0001_items']);
    });

    it('stops at a half-applied migration, naming it, until it is resolved', async () => {
      const { db } = await fresh();
      const set = defineMigrationSet('shop', [
        { id: '0001_items', sql: 'CREATE TABLE shop_items (id int)' },
        {
          id: '0002_index',
          sql: '-- fraiseql:no-transaction\nCREATE INDEX CONCURRENTLY shop_prices_id ON shop_prices (id)',
        },
        { id: '0003_orders', sql: 'CREATE TABLE shop_orders (id int)' },
      ]);
      const failed = await failure(migrate(db, { sets: [set] }));
      expect(isCoreError(failed, 'MIGRATION_FAILED')).toBe(true);
      expect(failed.message).toContain('shop/0002_index');
      expect(failed.message).toContain('may be half-applied');
      expect(await ledger(db)).toEqual([
        { namespace: 'shop', id: '0001_items', status: 'applied' },
        { namespace: 'shop', id: '0002_index', status: 'failed' },
      ]);

      // The next run does not continue blindly: it names the migration and applies nothing.
      const incomplete = await failure(migrate(db, { sets: [coreMigrations, set] }));
      expect(isCoreError(incomplete, 'MIGRATION_INCOMPLETE')).toBe(true);
      expect(incomplete.message).toContain('migration shop/0002_index failed at');
      expect(await exists(db, 'core.tb_entity_change_log')).toBe(false);
      expect(await exists(db, 'shop_orders')).toBe(false);
      const dryRun = await failure(migrate(db, { sets: [set], dryRun: true }));
      expect(isCoreError(dryRun, 'MIGRATION_INCOMPLETE')).toBe(true);

      // An operator fixes the cause and lets the migration run again.
      await db.exec('CREATE TABLE shop_prices (id int)');
      await resolveMigration(db, { namespace: 'shop', id: '0002_index', as: 'pending' });
      const report = await migrate(db, { sets: [set] });
      expect(report.namespaces[0]).toMatchObject({
        applied: ['0002_index', '0003_orders'],
        skipped: ['0001_items'],
      });
      expect(await exists(db, 'shop_prices_id')).toBe(true);

      const nothing = await failure(
        resolveMigration(db, { namespace: 'shop', id: '0002_index', as: 'applied' }),
      );
      expect(nothing.message).toContain('shop/0002_index is already applied');
      const unknown = await failure(
        resolveMigration(db, { namespace: 'shop', id: '0009_never', as: 'pending' }),
      );
      expect(unknown.message).toContain('the ledger has no migration shop/0009_never');
    });

    it('accepts a half-applied migration an operator completed by hand', async () => {
      const { db } = await fresh();
      await migrate(db);
      const set = defineMigrationSet('shop', [
        { id: '0001_backfill', sql: '-- fraiseql:no-transaction\nSELECT 1' },
        { id: '0002_more', sql: 'CREATE TABLE shop_more (id int)' },
      ]);
      // What a runner that died midway leaves behind.
      await db.query(
        `INSERT INTO core.tb_schema_migration (namespace, id, checksum, status) VALUES ('shop', '0001_backfill', $1, 'running')`,
        [migrationChecksum('-- fraiseql:no-transaction\nSELECT 1')],
      );
      const incomplete = await failure(migrate(db, { sets: [set] }));
      expect(isCoreError(incomplete, 'MIGRATION_INCOMPLETE')).toBe(true);
      expect(incomplete.message).toContain('shop/0001_backfill was started at');
      expect(incomplete.message).toContain('never finished');
      await resolveMigration(db, { namespace: 'shop', id: '0001_backfill', as: 'applied' });
      const report = await migrate(db, { sets: [set] });
      expect(report.namespaces[0]).toMatchObject({
        applied: ['0002_more'],
        skipped: ['0001_backfill'],
      });
    });

    it('applies each migration once when runners race', async () => {
      const database = await fresh();
      const other = database.connectAnother();
      const set = defineMigrationSet('race', [
        { id: '0001_a', sql: 'CREATE TABLE race_a (id int)' },
        {
          // Slow enough that the other runner finds it running and has to wait for it.
          id: '0002_b',
          sql: '-- fraiseql:no-transaction\nCREATE TABLE race_b (id int); SELECT pg_sleep(0.5)',
        },
        { id: '0003_c', sql: 'CREATE TABLE race_c (id int)' },
      ]);
      const reports = await Promise.all([
        migrate(database.db, { sets: [coreMigrations, set] }),
        migrate(other, { sets: [coreMigrations, set] }),
      ]);
      for (const [index, namespace] of ['core', 'race'].entries()) {
        const applied = reports.flatMap((report) => report.namespaces[index]?.applied ?? []);
        const expected = namespace === 'core' ? CORE_IDS : ['0001_a', '0002_b', '0003_c'];
        expect(applied.sort()).toEqual(expected);
        for (const report of reports) {
          const entry = report.namespaces[index];
          expect([...(entry?.applied ?? []), ...(entry?.skipped ?? [])].sort()).toEqual(expected);
        }
      }
      expect(await ledger(database.db)).toHaveLength(CORE_IDS.length + 3);
    });

    it('rejects a namespace given twice and an aborted signal before changing anything', async () => {
      const { db } = await fresh();
      const duplicate = await failure(migrate(db, { sets: [coreMigrations, coreMigrations] }));
      expect(isCoreError(duplicate, 'INVALID_ARGUMENT')).toBe(true);
      const controller = new AbortController();
      controller.abort(new Error('shutting down'));
      const aborted = await failure(migrate(db, { signal: controller.signal }));
      expect(aborted.message).toBe('shutting down');
      expect(await exists(db, 'core.tb_schema_migration')).toBe(false);
    });

    it.runIf(backend.name === 'postgres')(
      'waits for a live runner of CREATE INDEX CONCURRENTLY instead of calling it incomplete',
      async () => {
        const database = await fresh();
        const other = database.connectAnother();
        await database.db.exec('CREATE TABLE busy_t (id int)');
        const set = defineMigrationSet('busy', [
          {
            id: '0001_index',
            sql: '-- fraiseql:no-transaction\nCREATE INDEX CONCURRENTLY busy_t_id ON busy_t (id)',
          },
        ]);
        // An open writer makes the concurrent index build wait, keeping the first runner busy.
        let releaseWriter!: () => void;
        const writerMayCommit = new Promise<void>((resolve) => {
          releaseWriter = resolve;
        });
        let writerStarted!: () => void;
        const writing = new Promise<void>((resolve) => {
          writerStarted = resolve;
        });
        const writer = database.db.transaction(async (tx) => {
          await tx.query('INSERT INTO busy_t VALUES (1)');
          writerStarted();
          await writerMayCommit;
        });
        await writing;

        const first = migrate(database.db, { sets: [set] });
        await waitFor(
          async () =>
            (await exists(other, 'core.tb_schema_migration')) &&
            (await ledger(other)).some((row) => row.status === 'running'),
          { timeoutMs: 20_000, message: 'busy/0001_index recorded as running' },
        );
        const messages: string[] = [];
        const record = (_fields: unknown, message: string): void => {
          messages.push(message);
        };
        const second = migrate(other, {
          sets: [set],
          logger: { debug: record, info: record, warn: record, error: record },
        });
        await waitFor(
          () => messages.includes('waiting for another runner to finish busy/0001_index'),
          {
            timeoutMs: 20_000,
            message: 'the second runner waiting',
          },
        );
        releaseWriter();
        await writer;
        const [firstReport, secondReport] = await Promise.all([first, second]);
        expect(firstReport.namespaces[0]?.applied).toEqual(['0001_index']);
        expect(secondReport.namespaces[0]).toMatchObject({ applied: [], skipped: ['0001_index'] });
        const index = await other.query<{ valid: boolean }>(
          `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'busy_t_id'::regclass`,
        );
        expect(index.rows).toEqual([{ valid: true }]);
      },
    );

    it.runIf(backend.name === 'postgres')(
      'detects a runner that died inside a migration',
      async () => {
        const database = await fresh();
        const child = spawnNode(
          fileURLToPath(new URL('fixtures/migrate-and-hang.mjs', import.meta.url)),
          {
            env: { DATABASE_URL: database.url },
          },
        );
        try {
          await child.waitForLine(/migrating/);
          await waitFor(
            async () =>
              (await exists(database.db, 'core.tb_schema_migration')) &&
              (await ledger(database.db)).some(
                (row) => row.id === '0002_slow' && row.status === 'running',
              ),
            { timeoutMs: 20_000, message: '0002_slow recorded as running' },
          );
        } finally {
          await child.kill('SIGKILL');
        }
        const set = defineMigrationSet('crash', [
          { id: '0001_fast', sql: 'CREATE TABLE crash_fast (id integer)' },
          { id: '0002_slow', sql: '-- fraiseql:no-transaction\nSELECT pg_sleep(30)' },
          { id: '0003_after', sql: 'CREATE TABLE crash_after (id integer)' },
        ]);
        const incomplete = await failure(migrate(database.db, { sets: [set] }));
        expect(isCoreError(incomplete, 'MIGRATION_INCOMPLETE')).toBe(true);
        expect(incomplete.message).toContain('crash/0002_slow was started at');
        expect(await exists(database.db, 'crash_after')).toBe(false);
      },
    );
  });
});
