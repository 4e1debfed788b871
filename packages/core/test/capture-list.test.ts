import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  installCapture,
  isCoreError,
  listCaptures,
  migrate,
  uninstallCapture,
  type SqlClient,
} from '../src/index.js';
import { BACKENDS, closeBackends, type OpenDatabase } from './backends.js';
import { changeLogRows } from './change-log-helpers.js';

afterAll(closeBackends);

describe.each(BACKENDS)(
  'listing, dry runs and default id columns of capture on $name',
  (backend) => {
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

      it('lists captured tables with the options they were installed with', async () => {
        await db.exec(`CREATE SCHEMA sales;
        CREATE TABLE sales."tb_Line" (pk uuid PRIMARY KEY, org text, who text);
        CREATE TABLE tb_listed (id int PRIMARY KEY, tenant text)`);
        await installCapture(db, {
          table: 'tb_listed',
          entityType: 'Listed',
          tenantColumn: 'tenant',
        });
        await installCapture(db, {
          table: 'sales.tb_Line',
          entityType: "Line's \\ type ✓",
          userColumn: 'who',
          preImage: true,
          notify: false,
        });
        const listed = await listCaptures(db);
        expect(
          listed.filter((entry) => ['public.tb_listed', 'sales.tb_Line'].includes(entry.table)),
        ).toEqual([
          {
            table: 'public.tb_listed',
            entityType: 'Listed',
            idColumn: 'id',
            tenantColumn: 'tenant',
            userColumn: undefined,
            preImage: false,
            notify: true,
            operations: ['INSERT', 'UPDATE', 'DELETE'],
          },
          {
            table: 'sales.tb_Line',
            entityType: "Line's \\ type ✓",
            idColumn: 'pk',
            tenantColumn: undefined,
            userColumn: 'who',
            preImage: true,
            notify: false,
            operations: ['INSERT', 'UPDATE', 'DELETE'],
          },
        ]);
        await uninstallCapture(db, 'tb_listed');
        expect((await listCaptures(db)).map((entry) => entry.table)).not.toContain(
          'public.tb_listed',
        );
      });

      it('takes the primary key as id column and refuses a table without a single-column key', async () => {
        await db.exec(`CREATE TABLE tb_pk (code text PRIMARY KEY, n int);
        CREATE TABLE tb_composite (a int, b int, PRIMARY KEY (a, b))`);
        const change = await installCapture(db, { table: 'tb_pk', entityType: 'Pk' });
        expect(change).toMatchObject({ table: 'public.tb_pk', applied: true });
        await db.query(`INSERT INTO tb_pk VALUES ('x-1', 1)`);
        const rows = await changeLogRows(db, 'Pk');
        expect(rows.map((row) => row.object_id)).toEqual(['x-1']);
        const refused = await installCapture(db, { table: 'tb_composite', entityType: 'C' }).catch(
          (error: unknown) => error,
        );
        expect(isCoreError(refused) && refused.code).toBe('INVALID_ARGUMENT');
        expect((refused as Error).message).toContain('idColumn');
      });

      it('returns the statements of a dry run and changes nothing', async () => {
        await db.exec(`CREATE TABLE tb_dry (id int PRIMARY KEY)`);
        const planned = await installCapture(db, {
          table: 'tb_dry',
          entityType: 'Dry',
          dryRun: true,
        });
        expect(planned.applied).toBe(false);
        expect(planned.statements.filter((s) => s.startsWith('CREATE TRIGGER'))).toHaveLength(3);
        expect((await listCaptures(db)).map((entry) => entry.table)).not.toContain('public.tb_dry');
        await db.query('INSERT INTO tb_dry VALUES (1)');
        expect(await changeLogRows(db, 'Dry')).toEqual([]);

        await installCapture(db, { table: 'tb_dry', entityType: 'Dry' });
        const removal = await uninstallCapture(db, 'tb_dry', { dryRun: true });
        expect(removal).toMatchObject({ table: 'public.tb_dry', applied: false });
        expect(removal.statements).toHaveLength(3);
        expect((await listCaptures(db)).map((entry) => entry.table)).toContain('public.tb_dry');
      });
    });
  },
);
