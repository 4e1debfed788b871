import { describe, expect, it } from 'vitest';
import { isJobQueueError } from '../errors.js';
import { assertNoEviction, redisConnectionOptions } from './redis-connection.js';

const client = (policy: string, configWorks = true) => ({
  config: (): Promise<unknown> =>
    configWorks
      ? Promise.resolve(['maxmemory-policy', policy])
      : Promise.reject(new Error('unknown command')),
  info: (): Promise<string> =>
    Promise.resolve(`# Memory\r\nused_memory:1\r\nmaxmemory_policy:${policy}\r\n`),
});

describe('assertNoEviction', () => {
  it('accepts noeviction', async () => {
    await expect(assertNoEviction(client('noeviction'))).resolves.toBeUndefined();
  });

  it('refuses an evicting policy, naming it and the fix', async () => {
    const error: unknown = await assertNoEviction(client('allkeys-lru')).catch((e: unknown) => e);
    expect(isJobQueueError(error, 'REDIS_EVICTION_POLICY')).toBe(true);
    expect((error as Error).message).toContain('"allkeys-lru"');
    expect((error as Error).message).toContain('noeviction');
  });

  it('reads INFO when CONFIG is disabled', async () => {
    await expect(assertNoEviction(client('volatile-ttl', false))).rejects.toMatchObject({
      code: 'REDIS_EVICTION_POLICY',
    });
  });
});

describe('redisConnectionOptions', () => {
  it('gives workers maxRetriesPerRequest null and producers fail-fast options', () => {
    expect(redisConnectionOptions('redis://:p%40ss@h:6380/2', 'worker')).toMatchObject({
      host: 'h',
      port: 6380,
      db: 2,
      password: 'p@ss',
      maxRetriesPerRequest: null,
    });
    expect(redisConnectionOptions('rediss://h', 'producer')).toMatchObject({
      tls: {},
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
  });

  it('refuses other schemes', () => {
    expect(() => redisConnectionOptions('http://h', 'worker')).toThrow(/redis:\/\/ or rediss:\/\//);
  });
});
