import type { EntityEvent } from '@fraiseql/core';
import {
  createActionRegistry,
  createMatcher,
  createObserverDefinitions,
  createObserverExecutor,
  createRedisDedupStore,
  isObserverError,
  parseObserversConfig,
  type DedupStore,
} from '@fraiseql/observers';
import { createRedisPrefix, requireService, waitFor, type RedisPrefix } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drained,
  openOrderDatabase,
  recordingMetrics,
  startObservers,
  type ObserverStack,
  type OrderDatabase,
} from './e2e-fixture.js';

const pg = await requireService('postgres');
const redisService = await requireService('redis');

const yaml = `
observers:
  welcome:
    entity: Order
    events: [INSERT]
    actions:
      - { type: function, name: first }
      - { type: function, name: second }
`;

describe.skipIf(pg === undefined || redisService === undefined)(
  'end to end: dedup with the Redis store',
  () => {
    let database: OrderDatabase;
    let keys: RedisPrefix;
    const stores: DedupStore[] = [];
    const stacks: ObserverStack[] = [];
    const runs = { first: [] as string[], second: [] as string[] };
    const dedupStore = (): DedupStore => {
      const store = createRedisDedupStore({ url: keys.url, prefix: keys.prefix });
      stores.push(store);
      return store;
    };
    const setup = (registry: ReturnType<typeof createActionRegistry>): void => {
      registry.registerFunction('first', (event) => {
        runs.first.push(event.id);
      });
      registry.registerFunction('second', (event) => {
        runs.second.push(event.id);
      });
    };

    beforeAll(async () => {
      keys = await createRedisPrefix(redisService);
      database = await openOrderDatabase(pg!);
    });
    afterAll(async () => {
      for (const stack of stacks) await stack.close();
      for (const store of stores) await store.close();
      await database.close();
      await keys.close();
    });

    it('runs the actions once when the event is delivered again after a restart', async () => {
      const deliveries: { id: string; attempt: number }[] = [];
      // The first process finishes the actions, then stops before it settles the event, as if
      // it had been killed between the work and the checkpoint.
      const first = await startObservers(database.db, {
        yaml,
        setup,
        consumer: 'dedup-restart',
        executor: { dedup: dedupStore() },
        runtime: { drainTimeout: '50ms', abortGrace: '1s', retry: { initialDelay: '10ms' } },
        handler: (executor) => async (event, context) => {
          deliveries.push({ id: event.id, attempt: context.attempt });
          await executor(event, context);
          await new Promise<never>((_resolve, reject) => {
            context.signal.addEventListener('abort', () => {
              reject(new Error('stopped before settling'));
            });
          });
        },
      });
      stacks.push(first);
      await database.db.query("INSERT INTO tb_order (id) VALUES ('r-1')");
      await waitFor(() => runs.second.length === 1, { timeoutMs: 15_000 });
      await first.close();
      stacks.splice(stacks.indexOf(first), 1);

      const metrics = recordingMetrics();
      const second = await startObservers(database.db, {
        yaml,
        setup,
        consumer: 'dedup-restart',
        executor: { dedup: dedupStore(), metrics },
        handler: (executor) => async (event, context) => {
          deliveries.push({ id: event.id, attempt: context.attempt });
          await executor(event, context);
        },
      });
      stacks.push(second);
      await waitFor(() => deliveries.length === 2, { timeoutMs: 15_000, message: 'redelivery' });
      await drained(second.runtime);

      expect(deliveries[1]!.id).toBe(deliveries[0]!.id);
      expect(deliveries[1]!.attempt).toBeGreaterThan(1);
      expect(runs).toEqual({ first: [deliveries[0]!.id], second: [deliveries[0]!.id] });
      expect(metrics.counts).toMatchObject({
        dedupDetected: 1,
        dedupProcessingSkipped: 1,
        cacheHit: 2,
      });
      await second.close();
      stacks.splice(stacks.indexOf(second), 1);
    });

    it('lets only one of two instances run an event given to both at once', async () => {
      const captured: EntityEvent[] = [];
      const capture = await startObservers(database.db, {
        yaml: `
observers:
  capture:
    entity: Order
    events: [INSERT]
    actions: [{ type: function, name: capture }]
`,
        consumer: 'dedup-capture',
        setup: (registry) => {
          registry.registerFunction('capture', (event) => {
            captured.push(event);
          });
        },
      });
      stacks.push(capture);
      await database.db.query("INSERT INTO tb_order (id) VALUES ('r-2')");
      // No other instance runs `welcome` now: the two executors below are the only ones.
      const [event] = await waitFor(
        () => captured.filter((e) => e.entityId === 'r-2').length > 0 && captured,
        { timeoutMs: 15_000 },
      ).then((all) => all.filter((e) => e.entityId === 'r-2'));

      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const ran: string[] = [];
      const instance = (name: string) => {
        const registry = createActionRegistry();
        registry.registerFunction('first', async () => {
          ran.push(name);
          started();
          await held;
        });
        registry.registerFunction('second', () => undefined);
        const config = parseObserversConfig(yaml, { format: 'yaml', registry, envPrefix: false });
        return createObserverExecutor({
          matcher: createMatcher(createObserverDefinitions(config)),
          registry,
          dedup: dedupStore(),
        });
      };
      const a = instance('a');
      const b = instance('b');
      const runA = a(event!);
      await Promise.race([running, runA]);
      expect(ran).toEqual(['a']);
      const duplicate = await b(event!).catch((error: unknown) => error);
      expect(isObserverError(duplicate) && duplicate.code).toBe('DUPLICATE_IN_PROGRESS');
      release();
      await runA;
      // Redelivered to the second instance after the first finished: nothing runs again.
      await b(event!);
      expect(ran).toEqual(['a']);
      await a.close();
      await b.close();
    });
  },
);
