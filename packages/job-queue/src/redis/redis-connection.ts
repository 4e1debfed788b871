import type { RedisOptions } from 'ioredis';
import { JobQueueError } from '../errors.js';

/** The default Redis when neither an option nor `REDIS_URL` names one. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * ioredis options for a `redis://` or `rediss://` URL, as BullMQ needs them: blocking
 * connections get `maxRetriesPerRequest: null` (so a Redis restart never fails a worker's
 * blocking call), producers fail fast instead of queueing commands while Redis is down.
 *
 * @throws {JobQueueError} `INVALID_ARGUMENT` for a URL that is not `redis://` or `rediss://`.
 */
export function redisConnectionOptions(url: string, role: 'worker' | 'producer'): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new JobQueueError('INVALID_ARGUMENT', `redis url: not a URL: ${JSON.stringify(url)}`, {
      cause: error,
    });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new JobQueueError(
      'INVALID_ARGUMENT',
      `redis url: expected redis:// or rediss://, got ${parsed.protocol}//`,
    );
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) {
    throw new JobQueueError('INVALID_ARGUMENT', `redis url: invalid database "${parsed.pathname}"`);
  }
  return {
    host: parsed.hostname === '' ? '127.0.0.1' : parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    db,
    ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    ...(role === 'worker'
      ? { maxRetriesPerRequest: null }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5_000 }),
  };
}

/** `host:port` of connection options, for health reports (never the credentials). */
export function redisTarget(options: Pick<RedisOptions, 'host' | 'port'>): string {
  return `${options.host ?? '127.0.0.1'}:${String(options.port ?? 6379)}`;
}

/** The slice of an ioredis client the self-check calls. */
export interface PolicyClient {
  config(op: 'GET', key: string): Promise<unknown>;
  info(section: string): Promise<string>;
}

/**
 * Refuses a Redis that may evict keys: BullMQ keeps jobs and locks in keys, and an evicting
 * `maxmemory-policy` silently loses jobs under memory pressure. Reads `CONFIG GET` and falls
 * back to `INFO memory` where `CONFIG` is disabled (managed Redis).
 *
 * @throws {JobQueueError} `REDIS_EVICTION_POLICY` when the policy is not `noeviction`.
 */
export async function assertNoEviction(client: PolicyClient): Promise<void> {
  let policy: string | undefined;
  try {
    const reply = await client.config('GET', 'maxmemory-policy');
    if (Array.isArray(reply) && typeof reply[1] === 'string') policy = reply[1];
  } catch {
    // CONFIG may be renamed or disabled; INFO below still tells the policy.
  }
  if (policy === undefined) {
    const info = await client.info('memory');
    policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  }
  if (policy !== undefined && policy !== 'noeviction') {
    throw new JobQueueError(
      'REDIS_EVICTION_POLICY',
      `Redis maxmemory-policy is "${policy}": jobs could be evicted; set it to "noeviction" (CONFIG SET maxmemory-policy noeviction, or in redis.conf)`,
      { details: { policy } },
    );
  }
}
