import { setTimeout as delay } from 'node:timers/promises';
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

const ENTITIES = ['o-1', 'o-2', 'o-3', 'o-4', 'o-5'];
const UPDATES = 8;

describe.skipIf(pg === undefined)('end to end: per-entity FIFO under concurrency', () => {
  let database: OrderDatabase;
  let stack: ObserverStack | undefined;

  beforeAll(async () => {
    database = await openOrderDatabase(pg!);
  });
  afterAll(async () => {
    await stack?.close();
    await database.close();
  });

  it('runs the events of each order one at a time and in order, orders in parallel', async () => {
    const { db } = database;
    for (const id of ENTITIES) await db.query('INSERT INTO tb_order (id) VALUES ($1)', [id]);
    // One transaction per update, interleaved across orders, all written before the observers
    // start so the runtime has a backlog to spread over its handler slots.
    for (let version = 1; version <= UPDATES; version += 1) {
      for (const id of ENTITIES) {
        await db.query('UPDATE tb_order SET version = $2 WHERE id = $1', [id, version]);
      }
    }

    const order = new Map<string, number[]>(ENTITIES.map((id) => [id, []]));
    const running = new Map<string, number>();
    let runningNow = 0;
    let maxRunning = 0;
    let maxPerEntity = 0;
    stack = await startObservers(db, {
      runtime: { concurrency: 16 },
      setup: (registry) => {
        registry.registerFunction('record-version', async (event) => {
          const perEntity = (running.get(event.entityId) ?? 0) + 1;
          running.set(event.entityId, perEntity);
          maxPerEntity = Math.max(maxPerEntity, perEntity);
          runningNow += 1;
          maxRunning = Math.max(maxRunning, runningNow);
          try {
            await delay(Math.floor(Math.random() * 5));
            order.get(event.entityId)?.push(Number(event.data.version));
          } finally {
            runningNow -= 1;
            running.set(event.entityId, (running.get(event.entityId) ?? 1) - 1);
          }
        });
      },
      yaml: `
observers:
  versions:
    entity: Order
    events: [UPDATE]
    ordering: per-entity
    actions: [{ type: function, name: record-version }]
`,
    });

    await waitFor(() => [...order.values()].every((versions) => versions.length === UPDATES), {
      timeoutMs: 20_000,
      message: 'every update recorded',
    });
    await drained(stack.runtime);
    const expected = Array.from({ length: UPDATES }, (_, index) => index + 1);
    for (const id of ENTITIES) expect(order.get(id), id).toEqual(expected);
    expect(maxPerEntity).toBe(1);
    expect(maxRunning).toBeGreaterThan(1);
  });
});
