import type { Logger } from '@fraiseql/core';
import { ObserverError } from '../errors.js';
import type { CacheRedis } from './cache-action.js';

/** A Redis client the registry owns: the cache action's slice plus a way to close it. */
export interface OwnedRedis extends CacheRedis {
  quit(): Promise<unknown>;
}

/**
 * Opens an ioredis client (the optional peer is imported on first use). Connection errors are
 * logged without the URL; a failed connect leaves no reconnecting client behind.
 *
 * @throws {ObserverError} `ACTION_UNSUPPORTED` when ioredis is not installed; the connect error
 * otherwise.
 */
export async function openIoredis(url: string, logger: Logger): Promise<OwnedRedis> {
  let Redis: new (
    url: string,
    options: object,
  ) => OwnedRedis & {
    connect(): Promise<void>;
    disconnect(): void;
    on(event: 'error', listener: (error: Error) => void): unknown;
  };
  try {
    const loaded = (await import('ioredis')) as unknown as { default: typeof Redis };
    Redis = loaded.default;
  } catch (cause) {
    throw new ObserverError(
      'ACTION_UNSUPPORTED',
      'action type "cache" needs ioredis: npm install ioredis',
      {
        cause,
        retryable: false,
        errorType: 'redis',
      },
    );
  }
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    commandTimeout: 10_000,
    connectTimeout: 10_000,
  });
  // Connection errors surface on the commands; the event only gets a log line (never the URL).
  client.on('error', (error) => {
    logger.warn({ action: 'cache', error: error.message }, 'cache: Redis connection error');
  });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw error;
  }
  return client;
}
