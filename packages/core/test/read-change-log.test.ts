import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  countChangeLogRange,
  isCoreError,
  migrate,
  readChangeLogEvent,
  readChangeLogRange,
  type EntityEvent,
  type SqlClient,
} from '../src/index.js';
import { BACKENDS, closeBackends, type OpenDatabase } from './backends.js';

afterAll(closeBackends);

describe.each(BACKENDS)('reading the change log by key and range on $name', (backend) => {
  describe.runIf(backend.available)('', () => {
    let open: OpenDatabase;
    let db: SqlClient;
    let rows: { seq: bigint; id: string; kind: string }[];

    beforeAll(async () => {
      open = await backend.open();
      db = open.db;
      await migrate(db);
      const inserted = await db.query<{ seq: string | number; id: string; kind: string }>(
        `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
         SELECT 'Item', gen_random_uuid(), CASE WHEN n = 3 THEN 'NOOP' ELSE 'INSERT' END,
                jsonb_build_object('n', n)
         FROM generate_series(1, 7) AS n
         RETURNING pk_entity_change_log AS seq, id::text AS id, modification_type AS kind`,
      );
      rows = inserted.rows.map((row) => ({ ...row, seq: BigInt(String(row.seq)) }));
    });

    afterAll(async () => {
      await open.close();
    });

    const collect = async (
      range: Parameters<typeof readChangeLogRange>[1],
    ): Promise<EntityEvent[]> => {
      const events: EntityEvent[] = [];
      for await (const event of readChangeLogRange(db, range)) events.push(event);
      return events;
    };

    it('finds one event by id or by sequence, and nothing for a NOOP or an unknown key', async () => {
      const [first, , noop] = rows;
      expect((await readChangeLogEvent(db, first?.id ?? ''))?.seq).toBe(first?.seq);
      expect((await readChangeLogEvent(db, first?.seq ?? 0n))?.id).toBe(first?.id);
      expect(await readChangeLogEvent(db, noop?.seq ?? 0n)).toBeUndefined();
      expect(await readChangeLogEvent(db, '999999999')).toBeUndefined();
      const bad = await readChangeLogEvent(db, 'drop table').catch((error: unknown) => error);
      expect(isCoreError(bad, 'INVALID_ARGUMENT')).toBe(true);
    });

    it('reads a range across several pages in order, skipping NOOP rows and staying inside it', async () => {
      const from = rows[1]?.seq ?? 0n;
      const to = rows[5]?.seq ?? 0n;
      const events = await collect({ from, to, pageSize: 2 });
      const expected = rows.filter(
        (row) => row.seq >= from && row.seq <= to && row.kind !== 'NOOP',
      );
      expect(events.map((event) => event.seq)).toEqual(expected.map((row) => row.seq));
      expect(events.map((event) => event.data)).toEqual([{ n: 2 }, { n: 4 }, { n: 5 }, { n: 6 }]);
      expect(await countChangeLogRange(db, { from, to })).toBe(4);
    });

    it('pages in numeric sequence order past a digit boundary (9 → 10, 99 → 100)', async () => {
      await db.query(
        `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
         SELECT 'Item', gen_random_uuid(), 'INSERT', jsonb_build_object('n', n)
         FROM generate_series(1, 120) AS n`,
      );
      const all = await db.query<{ seq: string }>(
        `SELECT pk_entity_change_log::text AS seq FROM core.tb_entity_change_log
         WHERE modification_type <> 'NOOP' ORDER BY pk_entity_change_log`,
      );
      const events = await collect({ from: 0n, to: 1_000_000n, pageSize: 7 });
      expect(events.map((event) => String(event.seq))).toEqual(all.rows.map((row) => row.seq));
    });

    it('stops when its signal aborts', async () => {
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      await expect(collect({ from: 0n, to: 1000n, signal: controller.signal })).rejects.toThrow(
        'stop',
      );
    });
  });
});
