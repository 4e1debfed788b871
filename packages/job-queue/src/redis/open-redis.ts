import { redactUrl } from '@fraiseql/core';
import { Redis } from 'ioredis';
import { redisFailure } from '../errors.js';
import { redisConnectionOptions } from './redis-connection.js';

/**
 * Opens an ioredis client of this package's own (dead letters, self-check) and waits until it
 * is connected. `watch` sees the client before it connects (to follow its health).
 *
 * @throws {JobQueueError} `REDIS_UNAVAILABLE` when it cannot connect.
 */
export async function openRedis(
  url: string,
  role: 'worker' | 'producer',
  watch?: (client: Redis) => void,
): Promise<Redis> {
  const client = new Redis({ ...redisConnectionOptions(url, role), lazyConnect: true });
  // Connection errors surface through commands; an unhandled 'error' event would crash.
  client.on('error', () => undefined);
  watch?.(client);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw redisFailure(error, `connect to ${redactUrl(url)}`);
  }
  return client;
}

/**
 * Closes a client of {@link openRedis}: `QUIT` when connected, a plain disconnect otherwise
 * (a `QUIT` queued on a client that cannot reach Redis would wait for it).
 */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    await client.quit().catch(() => undefined);
    return;
  }
  client.disconnect();
}
