import type { EntityEvent } from '@fraiseql/core';
import { requireService, waitFor } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drained,
  openOrderDatabase,
  startObservers,
  type ObserverStack,
  type OrderDatabase,
} from './e2e-fixture.js';

const pg = await requireService('postgres');

describe.skipIf(pg === undefined)('end to end: UPDATE with a condition (PostgreSQL)', () => {
  let database: OrderDatabase;
  let stack: ObserverStack;
  const shipped: EntityEvent[] = [];
  const allUpdates: EntityEvent[] = [];

  beforeAll(async () => {
    database = await openOrderDatabase(pg!);
    stack = await startObservers(database.db, {
      setup: (registry) => {
        registry.registerFunction('record-shipped', (event) => {
          shipped.push(event);
        });
        registry.registerFunction('record-update', (event) => {
          allUpdates.push(event);
        });
      },
      yaml: `
observers:
  order_shipped:
    entity: Order
    events: [UPDATE]
    condition: "field_changed_to(status, 'shipped')"
    actions: [{ type: function, name: record-shipped }]
  every_update:
    entity: Order
    events: [UPDATE]
    actions: [{ type: function, name: record-update }]
`,
    });
  });
  afterAll(async () => {
    await stack.close();
    await database.close();
  });

  it('fires only for updates that change the status to shipped; a no-op UPDATE fires nothing', async () => {
    const { db } = database;
    await db.query("INSERT INTO tb_order (id, status, total) VALUES ('a', 'pending', 10)");
    await db.query("INSERT INTO tb_order (id, status, total) VALUES ('b', 'pending', 20)");
    await db.query("UPDATE tb_order SET status = 'paid' WHERE id = 'a'"); // 1
    await db.query("UPDATE tb_order SET status = 'shipped' WHERE id = 'a'"); // 2: fires
    await db.query("UPDATE tb_order SET total = 11 WHERE id = 'a'"); // 3: status unchanged
    await db.query("UPDATE tb_order SET status = status, total = total WHERE id = 'a'"); // no-op
    await db.query("UPDATE tb_order SET status = 'shipped', total = 21 WHERE id = 'b'"); // 4: fires
    await db.query("UPDATE tb_order SET status = 'returned' WHERE id = 'b'"); // 5: changed from

    await waitFor(() => allUpdates.length >= 5, { timeoutMs: 15_000, message: 'five updates' });
    await drained(stack.runtime);

    // The no-op UPDATE wrote no change-log row, so no observer saw anything for it.
    const logged = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM core.tb_entity_change_log
        WHERE object_type = 'Order' AND modification_type = 'UPDATE'`,
    );
    expect(logged.rows[0]?.n).toBe(5);
    expect(allUpdates).toHaveLength(5);
    expect(allUpdates.map((e) => [e.entityId, e.data.status, e.data.total])).toEqual(
      expect.arrayContaining([
        ['a', 'paid', 10],
        ['a', 'shipped', 10],
        ['a', 'shipped', 11],
        ['b', 'shipped', 21],
        ['b', 'returned', 21],
      ]),
    );
    expect(shipped.map((e) => [e.entityId, e.changes?.status])).toEqual(
      expect.arrayContaining([
        ['a', { old: 'paid', new: 'shipped' }],
        ['b', { old: 'pending', new: 'shipped' }],
      ]),
    );
    expect(shipped).toHaveLength(2);
  });
});
