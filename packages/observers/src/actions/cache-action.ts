import type { CacheActionConfig } from '../config/action-config.js';
import { abortable } from './abortable.js';
import type { ActionExecutor } from './action-executor.js';
import { classifyRedisError } from './classify-error.js';
import type { TemplateRenderer } from './template-renderer.js';

/** The slice of an ioredis client the cache action uses. */
export interface CacheRedis {
  scan(
    cursor: string,
    match: 'MATCH',
    pattern: string,
    count: 'COUNT',
    batch: number,
  ): Promise<[cursor: string, keys: string[]]>;
  unlink(...keys: string[]): Promise<number>;
}

/** Gives the Redis client for a URL (`undefined`: the registry's default). Clients are shared. */
export type CacheRedisProvider = (url: string | undefined) => Promise<CacheRedis>;

/** What {@link createCacheAction} needs. */
export interface CacheActionOptions {
  readonly templates: TemplateRenderer;
  readonly redis: CacheRedisProvider;
  /**
   * Keys per `SCAN` step (`COUNT`) and per `UNLINK` batch.
   * @defaultValue `500`
   */
  readonly batchSize?: number | undefined;
}

/**
 * The `cache` action: deletes the rendered `keys` and every key matching the rendered
 * `patterns` (values substituted into a pattern are glob-escaped, so event data cannot widen
 * it). Patterns are walked with `SCAN … MATCH … COUNT`, never `KEYS`, and keys are removed with
 * `UNLINK` in batches. A success only when every command returned. Redis Cluster is not walked
 * node by node: point the action at a standalone server or a single shard.
 */
export function createCacheAction(options: CacheActionOptions): ActionExecutor<CacheActionConfig> {
  const batchSize = options.batchSize ?? 500;
  return {
    type: 'cache',
    endpoint: (config) => redisHost(config.redisUrl),
    async execute(config, context) {
      const keys = (config.keys ?? []).map((key) => options.templates.text(key, context.event));
      const patterns = (config.patterns ?? []).map((pattern) =>
        options.templates.text(pattern, context.event, { context: 'glob' }),
      );
      const target = `redis ${redisHost(config.redisUrl) ?? 'default'}`;
      const signal = context.signal;
      let deleted = 0;
      let scanned = 0;
      try {
        const redis = await abortable(options.redis(config.redisUrl), signal);
        for (let i = 0; i < keys.length; i += batchSize) {
          deleted += await abortable(redis.unlink(...keys.slice(i, i + batchSize)), signal);
        }
        for (const pattern of patterns) {
          let cursor = '0';
          do {
            const [next, found] = await abortable(
              redis.scan(cursor, 'MATCH', pattern, 'COUNT', batchSize),
              signal,
            );
            cursor = next;
            scanned += found.length;
            if (found.length > 0) deleted += await abortable(redis.unlink(...found), signal);
          } while (cursor !== '0');
        }
      } catch (error) {
        const failure = classifyRedisError(error, target, signal);
        context.logger.warn(
          {
            action: 'cache',
            observer: context.observer,
            actionIndex: context.actionIndex,
            eventId: context.event.id,
            target,
            errorType: failure.errorType,
            retryable: failure.retryable,
          },
          `cache failed: ${failure.message}`,
        );
        throw failure;
      }
      context.logger.debug(
        {
          action: 'cache',
          observer: context.observer,
          eventId: context.event.id,
          deleted,
          scanned,
        },
        'cache invalidated',
      );
      return {
        summary: `${deleted} key(s) deleted`,
        details: { deleted, keys: keys.length, patterns: patterns.length, scanned },
      };
    },
  };
}

function redisHost(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
