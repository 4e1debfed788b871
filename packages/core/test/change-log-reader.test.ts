import { afterAll, describe, expect, it } from 'vitest';

import {
  createChangeLogReader,
  isCoreError,
  listChangeLogReaders,
  migrate,
  type ChangeLogReaderPage,
  type SqlClient,
} from '../src/index.js';
import { BACKENDS, closeBackends } from './backends.js';
import { holdOpen } from './change-log-helpers.js';

afterAll(closeBackends);

async function write(db: SqlClient, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    await db.query(
      `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
       VALUES ('order', $1, 'INSERT', jsonb_build_object('id', $1::text))`,
      [id],
    );
  }
}

const ids = (page: ChangeLogReaderPage): string[] => page.events.map((event) => event.entityId);

for (const backend of BACKENDS) {
  describe.runIf(backend.available)(`createChangeLogReader on ${backend.name}`, () => {
    it('reads pages, resumes after the committed one and reads an uncommitted page again', async () => {
      await using open = await backend.open();
      const { db } = open;
      await migrate(db);
      await write(db, ['a', 'b', 'c', 'd', 'e']);

      const first = createChangeLogReader(db, { reader: 'warehouse', pageSize: 2 });
      expect(await first.acquire()).toEqual({ transactionId: 0n, seq: 0n });
      const one = await first.read();
      expect(ids(one)).toEqual(['a', 'b']);
      await first.commit(one.end);
      const two = await first.read();
      expect(ids(two)).toEqual(['c', 'd']);
      // Stored but not committed: a restart reads it again.
      await first.close();

      const second = createChangeLogReader(db, { reader: 'warehouse', pageSize: 2 });
      expect(await second.acquire()).toEqual(one.end);
      expect(ids(await second.read())).toEqual(['c', 'd']);
      // A failed store: rewind reads from the committed position again.
      second.rewind();
      const again = await second.read();
      expect(ids(again)).toEqual(['c', 'd']);
      await second.commit(again.end);
      // An older position never moves the saved one back.
      await second.commit(one.end);
      expect(second.committed).toEqual(again.end);
      expect(ids(await second.read())).toEqual(['e']);
      await second.close();

      const third = createChangeLogReader(db, { reader: 'warehouse' });
      expect(await third.acquire()).toEqual(again.end);
      // Another reader has its own position.
      const other = createChangeLogReader(db, { reader: 'search' });
      await other.acquire();
      expect(ids(await other.read())).toEqual(['a', 'b', 'c', 'd', 'e']);
      await Promise.all([third.close(), other.close()]);
    });

    it('wakes on the change log NOTIFY instead of waiting out the poll interval', async () => {
      await using open = await backend.open();
      const { db } = open;
      await migrate(db);
      await using reader = createChangeLogReader(db, { reader: 'woken', pollInterval: '1h' });
      await reader.acquire();
      // Nothing yet: the read waits (LISTEN starts with the first wait). Rows are written until
      // it returns: once LISTEN is up, the next write's NOTIFY ends the wait, not the hour.
      const state = { done: false };
      const reading = reader.read().finally(() => {
        state.done = true;
      });
      for (let n = 0; !state.done; n++) {
        await write(db, [`late-${String(n)}`]);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(ids(await reading)[0]).toBe('late-0');
    });

    it('lists readers with their position, backlog and holder', async () => {
      await using open = await backend.open();
      const { db } = open;
      await migrate(db);
      expect(await listChangeLogReaders(db)).toEqual([]);
      await write(db, ['a', 'b', 'c']);
      const reader = createChangeLogReader(db, { reader: 'listed', pageSize: 2 });
      await reader.acquire();
      const page = await reader.read();
      await reader.commit(page.end);
      const [held] = await listChangeLogReaders(db);
      expect(held).toMatchObject({ reader: 'listed', position: page.end, backlog: 1, lastSeq: 2n });
      expect(held?.heldBy).toMatch(/:/);
      expect(held?.leaseUntil?.getTime()).toBeGreaterThan(Date.now());
      await reader.close();
      const [released] = await listChangeLogReaders(db, 10);
      expect(released).toMatchObject({ reader: 'listed', backlog: 1, heldBy: undefined });
      expect(released?.leaseUntil).toBeUndefined();
    });

    it('waits for new rows, and returns rows that are not events instead of throwing', async () => {
      await using open = await backend.open();
      const { db } = open;
      await migrate(db);
      await db.exec(
        'ALTER TABLE core.tb_entity_change_log DROP CONSTRAINT tb_entity_change_log_modification_type_check',
      );
      await using reader = createChangeLogReader(db, { reader: 'r', pollInterval: 20 });
      await reader.acquire();
      const pending = reader.read();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await db.query(
        `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
         VALUES ('order', 'x', 'TRUNCATE', '{}'), ('order', 'n', 'NOOP', '{}'),
                ('order', 'y', 'INSERT', '[1, 2]'), ('order', 'z', 'INSERT', '{"ok": true}')`,
      );
      const page = await pending;
      expect(ids(page)).toEqual(['z']);
      expect(page.malformed.map((row) => row.error)).toEqual([
        expect.stringContaining('modification_type'),
        expect.stringContaining('object_data'),
      ]);
      expect(page.malformed.every((row) => row.id.length === 36 && row.seq > 0n)).toBe(true);
      expect(JSON.parse(page.malformed[0]!.row)).toMatchObject({ modification_type: 'TRUNCATE' });

      const aborted = new AbortController();
      const waiting = reader.read(aborted.signal);
      aborted.abort(new Error('stopped'));
      await expect(waiting).rejects.toThrow('stopped');
    });

    it('lets one instance hold a reader: the other waits, and a taken-over lease is LEASE_LOST', async () => {
      await using open = await backend.open();
      const { db } = open;
      await migrate(db);
      await write(db, ['a']);
      const first = createChangeLogReader(db, { reader: 'one', leaseTtl: '2s' });
      await first.acquire();
      const second = createChangeLogReader(db, { reader: 'one', leaseTtl: '2s' });
      let acquired = false;
      const waiting = second.acquire().then((position) => {
        acquired = true;
        return position;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(acquired).toBe(false);
      const page = await first.read();
      await first.commit(page.end);
      await first.close();
      expect(await waiting).toEqual(page.end);

      // The lease runs out (a stalled instance): another one takes the reader over.
      await db.query(
        `UPDATE core.tb_change_log_reader SET lease_until = now() - interval '1 minute' WHERE reader = 'one'`,
      );
      const third = createChangeLogReader(db, { reader: 'one' });
      await third.acquire();
      const lost = await second.commit(page.end).catch((error: unknown) => error);
      expect(isCoreError(lost, 'LEASE_LOST')).toBe(true);
      await expect(second.read()).rejects.toThrow(/took the lease over/);
      await Promise.all([second.close(), third.close()]);
    });

    it('refuses bad options and reading before acquire', () => {
      const db = {} as SqlClient;
      expect(() => createChangeLogReader(db, { reader: '' })).toThrow(/reader/);
      expect(() => createChangeLogReader(db, { reader: 'r', pageSize: 0 })).toThrow(/pageSize/);
      expect(() => createChangeLogReader(db, { reader: 'r', leaseTtl: 10 })).toThrow(/leaseTtl/);
      return expect(createChangeLogReader(db, { reader: 'r' }).read()).rejects.toThrow(/acquire/);
    });
  });
}

const postgres = BACKENDS.find((backend) => backend.name === 'postgres');

describe.runIf(postgres?.available === true)('createChangeLogReader and late commits', () => {
  it('never skips a transaction that commits after a later one', async () => {
    await using open = await postgres!.open();
    const { db } = open;
    await migrate(db);
    await write(db, ['1']);
    await using reader = createChangeLogReader(db, { reader: 'late', pollInterval: 20 });
    await reader.acquire();
    const seen: string[] = ids(await reader.read());

    const late = open.connectAnother();
    const slow = await holdOpen(late, (tx) => write(tx, ['2']));
    await write(db, ['3']);
    const held = reader.read();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await slow.commit();
    await late.close();
    seen.push(...ids(await held));
    while (seen.length < 3) seen.push(...ids(await reader.read()));
    expect(seen).toEqual(['1', '2', '3']);
  });
});
