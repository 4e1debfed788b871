import { waitFor } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CHANGE_LOG_CHANNEL, installCapture, migrate, type SqlClient } from '../src/index.js';
import { BACKENDS, closeBackends, type OpenDatabase } from './backends.js';

afterAll(closeBackends);

describe.each(BACKENDS)('change-log wake-ups on $name', (backend) => {
  describe.runIf(backend.available)('', () => {
    let open: OpenDatabase;
    let db: SqlClient;
    const payloads: string[] = [];
    let unlisten: () => Promise<void>;

    beforeAll(async () => {
      open = await backend.open();
      db = open.db;
      await migrate(db);
      await db.exec('CREATE TABLE tb_item (id integer PRIMARY KEY, name text)');
      await installCapture(db, { table: 'tb_item', entityType: 'Item', idColumn: 'id' });
      unlisten = await db.listen(CHANGE_LOG_CHANNEL, (payload) => payloads.push(payload));
    });
    afterAll(async () => {
      await unlisten();
      await open.close();
    });

    async function maxSeq(): Promise<string> {
      const result = await db.query<{ max: string }>(
        'SELECT max(pk_entity_change_log)::text AS max FROM core.tb_entity_change_log',
      );
      return result.rows[0]?.max ?? '';
    }

    it('sends one wake-up per inserting statement, carrying only its highest sequence', async () => {
      payloads.length = 0;
      await db.query(`INSERT INTO tb_item VALUES (1, 'a'), (2, 'b'), (3, 'c')`);
      const afterThree = await maxSeq();
      // Another writer (FraiseQL's own functions, an application) inserting directly.
      await db.query(
        `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
         VALUES ('Item', '9', 'CUSTOM', '{"note": "direct"}')`,
      );
      const afterDirect = await maxSeq();
      // Notifications arrive in commit order: once the second is here, the first has arrived.
      await waitFor(() => payloads.includes(afterDirect), { message: 'the direct insert wake-up' });
      expect(payloads).toEqual([afterThree, afterDirect]);
    });

    it('wakes listeners once per committed transaction, only when the writer commits', async () => {
      payloads.length = 0;
      await db
        .transaction(async (tx) => {
          await tx.query(`INSERT INTO tb_item VALUES (10, 'rolled back')`);
          throw new Error('roll back');
        })
        .catch(() => undefined);
      await db.transaction(async (tx) => {
        await tx.query(`INSERT INTO tb_item VALUES (11, 'x')`);
        await tx.query(`UPDATE tb_item SET name = 'y' WHERE id = 11`);
        await tx.query(
          `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type)
           VALUES ('Item', '11', 'CUSTOM')`,
        );
        await tx.query(`DELETE FROM tb_item WHERE id = 11`);
      });
      const afterTransaction = await maxSeq();
      // A later commit as a fence: its wake-up arrives after every wake-up of the transaction.
      await db.query(`INSERT INTO tb_item VALUES (12, 'fence')`);
      const fence = await maxSeq();
      await waitFor(() => payloads.includes(fence), { message: 'the fence wake-up' });
      expect(payloads).toHaveLength(2);
      expect(BigInt(payloads[0] ?? '0') <= BigInt(afterTransaction)).toBe(true);
    });

    it('sends the wake-up of a transaction whose first notifying statement was rolled back to a savepoint', async () => {
      payloads.length = 0;
      await db.transaction(async (tx) => {
        await tx.exec('SAVEPOINT before_insert');
        await tx.query(`INSERT INTO tb_item VALUES (20, 'undone')`);
        await tx.exec('ROLLBACK TO SAVEPOINT before_insert');
        await tx.query(`INSERT INTO tb_item VALUES (21, 'kept')`);
      });
      const last = await maxSeq();
      await waitFor(() => payloads.includes(last), { message: 'the wake-up after the savepoint' });
      expect(payloads).toEqual([last]);
    });

    it("skips an UPDATE that changes nothing without spending the transaction's wake-up", async () => {
      payloads.length = 0;
      await db.query(`INSERT INTO tb_item VALUES (30, 'same')`);
      const inserted = await maxSeq();
      await waitFor(() => payloads.includes(inserted), { message: 'the insert wake-up' });
      payloads.length = 0;
      await db.transaction(async (tx) => {
        await tx.query(`UPDATE tb_item SET name = name WHERE id = 30`);
        await tx.query(`UPDATE tb_item SET name = 'changed' WHERE id = 30`);
      });
      const last = await maxSeq();
      expect(BigInt(last)).toBe(BigInt(inserted) + 1n);
      await waitFor(() => payloads.includes(last), { message: 'the update wake-up' });
      expect(payloads).toEqual([last]);
    });
  });
});
