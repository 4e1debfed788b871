import { pgliteClient, type EntityEvent, type SqlClient } from '@fraiseql/core';
import { createTestPGlite, waitFor, type TestPGlite } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drained, prepareOrders, startObservers, type ObserverStack } from './e2e-fixture.js';

describe('end to end on PGlite (embedded PostgreSQL): INSERT → function action', () => {
  let pglite: TestPGlite;
  let db: SqlClient;
  let stack: ObserverStack;
  const seen: EntityEvent[] = [];

  beforeAll(async () => {
    pglite = await createTestPGlite();
    db = pgliteClient(pglite.db);
    await prepareOrders(db);
    stack = await startObservers(db, {
      setup: (registry) => {
        registry.registerFunction('welcome', (event) => {
          seen.push(event);
          return `welcomed ${event.entityId}`;
        });
      },
      yaml: `
observers:
  welcome:
    entity: Order
    events: [INSERT]
    condition: "data.total >= 100"
    actions: [{ type: function, name: welcome }]
`,
    });
  });
  afterAll(async () => {
    await stack.close();
    await db.close();
    await pglite.close();
  });

  it('runs the function for each matching INSERT, with the captured row as data', async () => {
    await db.query('INSERT INTO tb_order (id, total, email) VALUES ($1, $2, $3)', [
      'p-1',
      150,
      'ann@example.com',
    ]);
    await db.query('INSERT INTO tb_order (id, total) VALUES ($1, $2)', ['p-2', 20]);
    await db.query("UPDATE tb_order SET total = 500 WHERE id = 'p-2'");
    await db.query('INSERT INTO tb_order (id, total) VALUES ($1, $2)', ['p-3', 100]);
    await waitFor(() => seen.length >= 2, { timeoutMs: 15_000, message: 'two INSERTs handled' });
    await drained(stack.runtime);

    seen.sort((a, b) => a.entityId.localeCompare(b.entityId));
    expect(seen.map((e) => [e.eventType, e.entityType, e.entityId])).toEqual([
      ['INSERT', 'Order', 'p-1'],
      ['INSERT', 'Order', 'p-3'],
    ]);
    expect(seen[0]!.data).toEqual({
      id: 'p-1',
      status: 'pending',
      total: 150,
      email: 'ann@example.com',
      version: 0,
    });
    expect(typeof seen[0]!.seq).toBe('bigint');
    expect(seen[1]!.seq).toBeGreaterThan(seen[0]!.seq);
    expect(await stack.dlq.count()).toBe(0);
  });
});
