import { randomUUID } from 'node:crypto';
import { redactUrl, silentLogger, type Logger } from '@fraiseql/core';
import { ObserverError } from '../errors.js';
import type { DedupClaim, DedupStore } from './dedup-store.js';

/** The slice of an ioredis client the dedup store calls. */
export interface DedupRedisClient {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  quit(): Promise<unknown>;
}

/** Options of {@link createRedisDedupStore}: a `url` (the store owns the client) or a `redis` client. */
export interface RedisDedupStoreOptions {
  /** `redis://…` URL; the store connects lazily with `ioredis` and closes the client on `close()`. */
  readonly url?: string | undefined;
  /** An existing client (left open on `close()`). */
  readonly redis?: DedupRedisClient | undefined;
  /** Key prefix, so several deployments or tests share one Redis. @defaultValue `'fraiseql:observers:dedup:'` */
  readonly prefix?: string | undefined;
  /** A Redis call slower than this counts as an outage. @defaultValue `1000` */
  readonly operationTimeoutMs?: number | undefined;
  /** Receives connection errors of an owned client (the executor logs outages itself). */
  readonly logger?: Logger | undefined;
}

// SET NX PX takes the claim atomically; the finished actions come back in the same round trip.
const CLAIM = `local ok = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
return {ok and 1 or 0, redis.call('HGETALL', KEYS[2])}`;
const COMPLETE = `redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('PEXPIRE', KEYS[1], ARGV[3])`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/**
 * A {@link DedupStore} in Redis, shared by every instance: the claim is `SET claim:<key> <token>
 * NX PX <ttl>`, finished actions live in the hash `done:<key>`. `ioredis` is an optional peer,
 * imported only when `url` is given. Calls fail fast (`operationTimeoutMs`) when Redis is down,
 * so the executor can fall back to processing.
 *
 * @throws {ObserverError} `INVALID_ARGUMENT` when neither or both of `url` and `redis` are given.
 */
export function createRedisDedupStore(options: RedisDedupStoreOptions): DedupStore {
  if ((options.url === undefined) === (options.redis === undefined)) {
    throw new ObserverError('INVALID_ARGUMENT', 'dedup: pass exactly one of `url` or `redis`');
  }
  const prefix = options.prefix ?? 'fraiseql:observers:dedup:';
  const timeoutMs = options.operationTimeoutMs ?? 1000;
  const owned = options.url !== undefined;
  let client: Promise<DedupRedisClient> | undefined =
    options.redis === undefined ? undefined : Promise.resolve(options.redis);
  let closed = false;

  const connect = (): Promise<DedupRedisClient> => {
    client ??= openRedis(options.url ?? '', timeoutMs, options.logger ?? silentLogger);
    return client;
  };

  const call = async (
    script: string,
    keys: string[],
    args: (string | number)[],
  ): Promise<unknown> => {
    if (closed) throw new ObserverError('CLOSED', 'dedup store is closed');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new ObserverError(
            'TRANSPORT_UNAVAILABLE',
            `dedup: Redis did not answer within ${timeoutMs}ms`,
            {
              retryable: true,
              errorType: 'redis_timeout',
            },
          ),
        );
      }, timeoutMs);
    });
    try {
      const redis = await Promise.race([connect(), timeout]);
      return await Promise.race([redis.eval(script, keys.length, ...keys, ...args), timeout]);
    } catch (error) {
      if (error instanceof ObserverError) throw error;
      throw new ObserverError(
        'TRANSPORT_UNAVAILABLE',
        `dedup: Redis call failed: ${String(error)}`,
        {
          cause: error,
          retryable: true,
          errorType: 'redis',
        },
      );
    } finally {
      clearTimeout(timer);
    }
  };

  const store: DedupStore = {
    kind: 'redis',
    async claim(key, ttlMs): Promise<DedupClaim> {
      const token = randomUUID();
      const reply = await call(
        CLAIM,
        [`${prefix}claim:${key}`, `${prefix}done:${key}`],
        [token, Math.max(1, Math.round(ttlMs))],
      );
      const [ok, flat] = Array.isArray(reply) ? (reply as [unknown, unknown]) : [0, []];
      const completed = new Map<number, string>();
      const fields = Array.isArray(flat) ? (flat as unknown[]) : [];
      for (let i = 0; i + 1 < fields.length; i += 2) {
        completed.set(Number(fields[i]), String(fields[i + 1]));
      }
      return Number(ok) === 1 ? { claimed: true, token, completed } : { claimed: false, completed };
    },
    async extend(key, token, ttlMs) {
      await call(EXTEND, [`${prefix}claim:${key}`], [token, Math.max(1, Math.round(ttlMs))]);
    },
    async complete(key, actionIndex, summary, ttlMs) {
      await call(
        COMPLETE,
        [`${prefix}done:${key}`],
        [actionIndex, summary, Math.max(1, Math.round(ttlMs))],
      );
    },
    async release(key, token) {
      await call(RELEASE, [`${prefix}claim:${key}`], [token]);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (!owned || client === undefined) return;
      const redis = (await client.catch(() => undefined)) as OwnedClient | undefined;
      if (redis === undefined) return;
      // QUIT needs a live connection; during an outage just drop the reconnect loop.
      if (redis.status === 'ready') await redis.quit().catch(() => undefined);
      else redis.disconnect();
    },
    [Symbol.asyncDispose]() {
      return store.close();
    },
  };
  return store;
}

interface OwnedClient extends DedupRedisClient {
  readonly status: string;
  disconnect(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

interface IoRedisModule {
  Redis: new (url: string, options: Record<string, unknown>) => OwnedClient;
}

async function openRedis(url: string, timeoutMs: number, logger: Logger): Promise<OwnedClient> {
  let module: IoRedisModule;
  try {
    module = await import('ioredis');
  } catch (error) {
    throw new ObserverError(
      'INVALID_ARGUMENT',
      `dedup: Redis at ${redactUrl(url)} needs ioredis: npm install ioredis`,
      { cause: error },
    );
  }
  const redis = new module.Redis(url, {
    // Fail commands quickly during an outage instead of queueing them for ever.
    maxRetriesPerRequest: 1,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 1000),
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
  });
  // Without a listener ioredis prints connection errors to the console.
  redis.on('error', (error) => {
    logger.debug({ err: error, url: redactUrl(url) }, 'dedup Redis connection error');
  });
  return redis;
}
