import { connectDatabase, coreMigrations, migrate, type SqlClient } from '@fraiseql/core';
import { createTestDatabase, requireService, type TestDatabase } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActionRegistry, type ActionRegistry } from '../src/actions/action-registry.js';
import { webhookActionSchema } from '../src/config/action-config.js';
import { createDeadLetterQueue } from '../src/dlq/dead-letter-queue.js';
import { createObserverExecutor } from '../src/execution/observer-executor.js';
import { observerMigrations } from '../src/migrations/observer-migrations.js';
import {
  makeEvent,
  matcherOf,
  recordingMetrics,
  startReceiver,
  type Receiver,
} from './execution-helpers.js';

const pg = await requireService('postgres');

describe.skipIf(pg === undefined)(
  'observer executor with the webhook action (PostgreSQL DLQ)',
  () => {
    let database: TestDatabase;
    let db: SqlClient;
    let receiver: Receiver;
    let registry: ActionRegistry;

    beforeAll(async () => {
      database = await createTestDatabase(pg);
      db = await connectDatabase({ url: database.url });
      await migrate(db, { sets: [coreMigrations, observerMigrations] });
      receiver = await startReceiver();
      registry = createActionRegistry();
    });
    afterAll(async () => {
      await registry.close();
      await receiver.close();
      await db.close();
      await database.close();
    });

    it('retries a failing webhook, dead-letters it, and delivers it from the DLQ after recovery', async () => {
      const metrics = recordingMetrics();
      const dlq = createDeadLetterQueue(db, { metrics });
      const webhook = webhookActionSchema.parse({
        type: 'webhook',
        url: `${receiver.url}/orders`,
        allowHosts: ['127.0.0.1'],
        timeout: '2s',
      });
      const execute = createObserverExecutor({
        matcher: matcherOf([
          {
            name: 'order-hook',
            entity: 'order',
            actions: [webhook],
            retry: { strategy: 'fixed', maxAttempts: 3, initialDelay: 20 },
            onFailure: 'dlq',
          },
        ]),
        registry,
        dlq,
        metrics,
        breaker: false,
      });
      receiver.respond = () => ({ status: 502 });
      const events = [makeEvent({ entityId: 'a' }), makeEvent({ entityId: 'b' })];
      await Promise.all(events.map((event) => execute(event)));

      expect(receiver.requests).toHaveLength(6);
      expect(receiver.requests.every((r) => r.path === '/orders')).toBe(true);
      // The default body is the event JSON.
      const ids = receiver.requests.map((r) => (JSON.parse(r.body) as { id: string }).id);
      expect(new Set(ids)).toEqual(new Set(events.map((e) => e.id)));
      const items = await dlq.list({ observer: 'order-hook' });
      expect(items.map((i) => i.event.entityId).sort()).toEqual(['a', 'b']);
      expect(items.every((i) => i.actionType === 'webhook' && i.attempts.length === 3)).toBe(true);
      expect(items[0]?.errorType).toMatch(/5xx|502/);

      receiver.respond = () => ({ status: 200 });
      const result = await dlq.retryAll({ observer: 'order-hook' });
      expect(result).toMatchObject({ succeeded: 2, failed: 0 });
      expect(await dlq.count()).toBe(0);
      expect(receiver.requests).toHaveLength(8);
      expect(metrics.dlq.at(-1)).toBe(0);
    });
  },
);
