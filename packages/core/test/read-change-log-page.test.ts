import { afterAll, describe, expect, it } from 'vitest';

import {
  installCapture,
  migrate,
  readChangeLogPage,
  type ChangeLogPosition,
} from '../src/index.js';
import { BACKENDS, closeBackends } from './backends.js';
import { holdOpen } from './change-log-helpers.js';

afterAll(closeBackends);

const postgres = BACKENDS.find((backend) => backend.name === 'postgres');

describe.runIf(postgres?.available === true)('readChangeLogPage on PostgreSQL', () => {
  it('holds back rows above an open transaction and returns the late commit first, skipping none', async () => {
    await using open = await postgres!.open();
    const { db } = open;
    await migrate(db);
    await db.exec('CREATE TABLE tb_page (id int PRIMARY KEY)');
    await installCapture(db, { table: 'tb_page', entityType: 'Page' });
    await db.query('INSERT INTO tb_page VALUES (1)');

    let position: ChangeLogPosition = { transactionId: 0n, seq: 0n };
    const read: string[] = [];
    const page = async (): Promise<{ heldBack: boolean; full: boolean }> => {
      const result = await readChangeLogPage(db, {
        after: position,
        limit: 2,
        conditions: (params) => {
          params.push('Page');
          return [`l.object_type = $${String(params.length)}`];
        },
        probeHeldBack: true,
      });
      read.push(...result.rows.map((row) => String(row.object_id)));
      position = result.next;
      return result;
    };
    expect(await page()).toMatchObject({ heldBack: false, full: false });
    expect(read).toEqual(['1']);

    // A transaction opens and writes, then a later one commits: nothing past the open one.
    const late = open.connectAnother();
    const slow = await holdOpen(late, (tx) => tx.query('INSERT INTO tb_page VALUES (2)'));
    await db.query('INSERT INTO tb_page VALUES (3)');
    expect(await page()).toMatchObject({ heldBack: true });
    expect(read).toEqual(['1']);

    await slow.commit();
    await late.close();
    while ((await page()).full) {
      // drain
    }
    await page();
    expect(read).toEqual(['1', '2', '3']);
  });
});
