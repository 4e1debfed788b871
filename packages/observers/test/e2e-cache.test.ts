import { createRedisPrefix, requireService, waitFor, type RedisPrefix } from '@fraiseql/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drained,
  openOrderDatabase,
  startObservers,
  type ObserverStack,
  type OrderDatabase,
} from './e2e-fixture.js';

const pg = await requireService('postgres');
const redisService = await requireService('redis');

describe.skipIf(pg === undefined || redisService === undefined)(
  'end to end: UPDATE → Redis cache invalidation',
  () => {
    let database: OrderDatabase;
    let stack: ObserverStack;
    let keys: RedisPrefix;
    let redis: Redis;

    beforeAll(async () => {
      keys = await createRedisPrefix(redisService);
      redis = new Redis(keys.url);
      database = await openOrderDatabase(pg!);
      stack = await startObservers(database.db, {
        yaml: `
redis: { url: '${keys.url}' }
observers:
  order_cache:
    entity: Order
    events: [UPDATE]
    actions:
      - type: cache
        keys: ['${keys.prefix}order:{{ entityId }}']
        patterns: ['${keys.prefix}order:{{ entityId }}:*']
`,
      });
    });
    afterAll(async () => {
      await stack.close();
      await database.close();
      redis.disconnect();
      await keys.close();
    });

    it('deletes the entity key and the keys under its pattern, and nothing similar', async () => {
      const p = keys.prefix;
      const gone = [`${p}order:42`, `${p}order:42:lines`, `${p}order:42:customer:7`];
      const gone4star = [`${p}order:4*`, `${p}order:4*:lines`];
      const kept = [
        `${p}order:420`,
        `${p}order:420:lines`,
        `${p}order:43:lines`,
        `${p}order:4`,
        `${p}customer:42`,
        `${p}order-42:lines`,
      ];
      for (const key of [...gone, ...gone4star, ...kept]) await redis.set(key, 'cached');
      const { db } = database;
      await db.query("INSERT INTO tb_order (id) VALUES ('42'), ('4*')");
      await db.query("UPDATE tb_order SET status = 'paid' WHERE id = '42'");
      await waitFor(async () => (await redis.exists(...gone)) === 0, {
        timeoutMs: 15_000,
        message: 'order 42 keys deleted',
      });
      await drained(stack.runtime);
      expect(await redis.exists(...gone4star)).toBe(gone4star.length);

      // An id holding a glob character is escaped: `4*` deletes only its own keys.
      await db.query("UPDATE tb_order SET status = 'paid' WHERE id = '4*'");
      await waitFor(async () => (await redis.exists(...gone4star)) === 0, {
        timeoutMs: 15_000,
        message: 'order 4* keys deleted',
      });
      await drained(stack.runtime);
      expect(await redis.exists(...kept)).toBe(kept.length);
      expect(await stack.dlq.count()).toBe(0);
    });
  },
);
