import { Redis } from 'ioredis';
import { redisFailure } from '../errors.js';
import { redisConnectionOptions } from './redis-connection.js';

/**
 * Opens an ioredis client of this package's own (dead letters, self-check) and waits until it
 * is connected.
 *
 * @throws {JobQueueError} `REDIS_UNAVAILABLE` when it cannot connect.
 */
export async function openRedis(url: string, role: 'worker' | 'producer'): Promise<Redis> {
  const client = new Redis({ ...redisConnectionOptions(url, role), lazyConnect: true });
  // Connection errors surface through commands; an unhandled 'error' event would crash.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw redisFailure(error, `connect to ${redactUrl(url)}`);
  }
  return client;
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}
