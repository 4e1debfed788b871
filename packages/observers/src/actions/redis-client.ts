import type { Logger, ServiceHealthTracker } from '@fraiseql/core';
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
export async function openIoredis(
  url: string,
  logger: Logger,
  health?: ServiceHealthTracker,
): Promise<OwnedRedis> {
  let Redis: new (
    url: string,
    options: object,
  ) => OwnedRedis & {
    connect(): Promise<void>;
    disconnect(): void;
    on(event: 'error', listener: (error: Error) => void): unknown;
    on(event: 'ready' | 'close' | 'reconnecting' | 'end', listener: () => void): unknown;
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
  let lastError: Error | undefined;
  client.on('error', (error) => {
    lastError = error;
    health?.error(error);
    logger.warn({ action: 'cache', error: error.message }, 'cache: Redis connection error');
  });
  // ioredis reconnects on its own (with backoff) once connected; these follow it.
  client.on('ready', () => health?.up());
  client.on('close', () => {
    if (health?.state === 'up') health.reconnecting(lastError);
  });
  client.on('reconnecting', () => health?.reconnecting(lastError));
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    health?.down(error);
    throw error;
  }
  return client;
}
