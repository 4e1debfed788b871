import { createRedisPrefix, requireService, type RedisPrefix } from '@fraiseql/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActionRegistry, type ActionRegistry } from '../src/actions/action-registry.js';
import type { CacheActionConfig } from '../src/config/action-config.js';
import { createTemplateRenderer } from '../src/templates/create-template-renderer.js';
import { actionContext, orderEvent } from './actions-fixtures.js';

const redisService = await requireService('redis');

describe.skipIf(redisService === undefined)('cache action against the running Redis', () => {
  let space: RedisPrefix;
  let redis: Redis;
  let registry: ActionRegistry;
  let p = '';

  beforeAll(async () => {
    space = await createRedisPrefix(redisService);
    p = space.prefix;
    redis = new Redis(space.url);
    registry = createActionRegistry({ templates: createTemplateRenderer(), redisUrl: space.url });
  });
  afterAll(async () => {
    await registry.close();
    redis.disconnect();
    await space.close();
  });

  const cache = (overrides: Partial<CacheActionConfig>): CacheActionConfig => ({
    type: 'cache',
    ...overrides,
  });
  const existing = async (...keys: string[]): Promise<string[]> => {
    const flags = await Promise.all(keys.map((key) => redis.exists(key)));
    return keys.filter((_, i) => flags[i] === 1);
  };

  it('deletes rendered keys and leaves others', async () => {
    await redis.mset(
      `${p}order:ord_1`,
      '1',
      `${p}order:ord_10`,
      '1',
      `${p}customer:ann@example.com`,
      '1',
    );
    const result = await registry.execute(
      cache({ keys: [`${p}order:{{ entityId }}`, `${p}customer:{{ data.customer.email }}`] }),
      actionContext(orderEvent()),
    );
    expect(result.details).toMatchObject({ deleted: 2 });
    expect(
      await existing(`${p}order:ord_1`, `${p}order:ord_10`, `${p}customer:ann@example.com`),
    ).toEqual([`${p}order:ord_10`]);
  });

  it('deletes every key of a glob pattern through SCAN, in batches', async () => {
    const keys = Array.from({ length: 1_200 }, (_, i) => `${p}list:ord_1:page:${i}`);
    await redis.mset(...keys.flatMap((key) => [key, 'x']));
    await redis.set(`${p}list:ord_2:page:0`, 'x');
    const result = await registry.execute(
      cache({ patterns: [`${p}list:{{ entityId }}:*`] }),
      actionContext(orderEvent()),
    );
    expect(result.details).toMatchObject({ deleted: 1_200 });
    expect(await redis.exists(...keys)).toBe(0);
    expect(await existing(`${p}list:ord_2:page:0`)).toEqual([`${p}list:ord_2:page:0`]);
  });

  it('escapes glob metacharacters in substituted values, so event data cannot widen a pattern', async () => {
    const similar = [
      `${p}user:4*:a`,
      `${p}user:42:a`,
      `${p}user:4x:a`,
      `${p}user:4?:b`,
      `${p}user:[4]:c`,
      `${p}user:4:c`,
      `${p}user:a\\b:d`,
      `${p}user:ab:d`,
    ];
    await redis.mset(...similar.flatMap((key) => [key, 'x']));
    for (const [id, gone] of [
      ['4*', `${p}user:4*:a`],
      ['4?', `${p}user:4?:b`],
      ['[4]', `${p}user:[4]:c`],
      ['a\\b', `${p}user:a\\b:d`],
    ] as const) {
      const event = orderEvent({ entityId: id });
      const result = await registry.execute(
        cache({ patterns: [`${p}user:{{ entityId }}:*`] }),
        actionContext(event),
      );
      expect(result.details, id).toMatchObject({ deleted: 1 });
      expect(await redis.exists(gone), id).toBe(0);
    }
    expect(await existing(...similar)).toEqual([
      `${p}user:42:a`,
      `${p}user:4x:a`,
      `${p}user:4:c`,
      `${p}user:ab:d`,
    ]);
  });

  it('reports zero deletions honestly and fails retryably when Redis is unreachable', async () => {
    expect(
      (await registry.execute(cache({ keys: [`${p}absent`] }), actionContext(orderEvent())))
        .details,
    ).toMatchObject({
      deleted: 0,
    });
    const error: unknown = await registry
      .execute(
        cache({ redisUrl: 'redis://127.0.0.1:1', keys: [`${p}x`] }),
        actionContext(orderEvent()),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: true, errorType: 'redis' });
  });

  it('fails permanently when Redis refuses the command (NOPERM)', async () => {
    // An ACL user without UNLINK: Redis replies NOPERM, which retrying cannot fix.
    const user = `${p.replaceAll(':', '')}_ro`;
    await redis.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '+@all', '-unlink');
    try {
      const url = new URL(space.url);
      url.username = user;
      url.password = 'pw';
      await expect(
        registry.execute(
          cache({ redisUrl: url.toString(), keys: [`${p}x`] }),
          actionContext(orderEvent()),
        ),
      ).rejects.toMatchObject({ retryable: false, errorType: 'redis' });
    } finally {
      await redis.call('ACL', 'DELUSER', user);
    }
  });
});
