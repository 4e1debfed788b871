import type { EntityEvent } from '@fraiseql/core';
import { requireService, uniqueName, waitFor } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActionRegistry, type ActionRegistry } from '../src/actions/action-registry.js';
import { createMemoryDedupStore } from '../src/dedup/memory-dedup-store.js';
import { createDeadLetterQueue } from '../src/dlq/dead-letter-queue.js';
import { ObserverError } from '../src/errors.js';
import { createObserverExecutor } from '../src/execution/observer-executor.js';
import { createObserverRuntime } from '../src/runtime/observer-runtime.js';
import { createChangeLogSource } from '../src/sources/change-log/change-log-source.js';
import { matcherOf } from './execution-helpers.js';
import { createChangeLogDatabase, type ChangeLogDatabase } from './fixtures/change-log-fixture.js';

const pg = await requireService('postgres');

describe.skipIf(pg === undefined)(
  'observer executor behind the runtime and change-log source (PostgreSQL)',
  () => {
    let database: ChangeLogDatabase;
    let registry: ActionRegistry;

    beforeAll(async () => {
      database = await createChangeLogDatabase(pg!);
      registry = createActionRegistry();
    });
    afterAll(async () => {
      await registry.close();
      await database.close();
    });

    it('keeps per-entity order across retries, dead-letters a poison event and replays it', async () => {
      const { db } = database;
      const arrivals: EntityEvent[] = [];
      const ran: { entityId: string; n: number }[] = [];
      const failedOnce = new Set<number>();
      let poisonFixed = false;
      registry.registerFunction('sync', async (event) => {
        const n = Number(event.data.n);
        // Every 7th event fails once (retryable): its retry must still come before the next
        // event of the same entity.
        if (n % 7 === 0 && !failedOnce.has(n)) {
          failedOnce.add(n);
          throw new ObserverError('ACTION_FAILED', `flaky ${n}`, { retryable: true });
        }
        if (n === 30 && !poisonFixed) {
          throw new ObserverError('ACTION_FAILED', 'poison', { retryable: false });
        }
        await new Promise((resolve) => setTimeout(resolve, n % 3));
        ran.push({ entityId: event.entityId, n });
      });
      const dlq = createDeadLetterQueue(db);
      const execute = createObserverExecutor({
        matcher: matcherOf([
          {
            name: 'sync',
            entity: 'order',
            actions: [{ type: 'function', name: 'sync' }],
            ordering: 'per-entity',
            retry: { maxAttempts: 3, initialDelay: 5, maxDelay: 20 },
            onFailure: 'dlq',
          },
        ]),
        registry,
        dlq,
        dedup: createMemoryDedupStore(),
      });
      const runtime = createObserverRuntime({
        sources: createChangeLogSource(db, { consumer: uniqueName('exec'), pollInterval: 200 }),
        handler: (event, context) => {
          arrivals.push(event);
          return execute(event, context);
        },
        concurrency: 16,
      });
      await db.query(
        `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
       SELECT 'order', 'e' || (g % 4), 'INSERT', jsonb_build_object('n', g)
         FROM generate_series(1, 60) g`,
      );
      await runtime.start();
      try {
        await waitFor(async () => ran.length === 59 && (await dlq.count()) === 1, {
          timeoutMs: 30_000,
          message: '59 actions and one dead letter',
        });
      } finally {
        await runtime.close();
        await execute.close();
      }

      // Per entity, actions ran in the order the runtime handed the events over.
      for (const entityId of ['e0', 'e1', 'e2', 'e3']) {
        const handed = arrivals
          .filter((e) => e.entityId === entityId && Number(e.data.n) !== 30)
          .map((e) => Number(e.data.n));
        const done = ran.filter((r) => r.entityId === entityId).map((r) => r.n);
        expect(done).toEqual([...new Set(handed)]);
      }
      expect(new Set(ran.map((r) => r.n)).size).toBe(59); // nothing ran twice
      expect([...failedOnce].sort((a, b) => a - b)).toEqual([7, 14, 21, 28, 35, 42, 49, 56]);

      const [poison] = await dlq.list();
      expect(poison).toMatchObject({
        observer: 'sync',
        actionType: 'function',
        errorMessage: 'poison',
      });
      expect(poison?.event.data.n).toBe(30);
      poisonFixed = true;
      const replay = createObserverExecutor({
        matcher: matcherOf([
          { name: 'sync', entity: 'order', actions: [{ type: 'function', name: 'sync' }] },
        ]),
        registry,
        dlq,
      });
      expect(await dlq.retryAll()).toMatchObject({ succeeded: 1, failed: 0 });
      expect(await dlq.count()).toBe(0);
      expect(ran.filter((r) => r.n === 30)).toHaveLength(1);
      await replay.close();
    });
  },
);
