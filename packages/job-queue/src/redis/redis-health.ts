import type { Logger, ServiceHealthTracker } from '@fraiseql/core';
import type { Redis } from 'ioredis';

/** The events of an ioredis client the health follows. */
type RedisEvents = Pick<Redis, 'on' | 'off'>;

/**
 * Follows an ioredis client's connection events into `tracker`: `ready` is up, a lost
 * connection that ioredis retries is reconnecting, `end` (no more retries) is down. Every
 * transition is logged once. Also attaches the client's `'error'` listener, so a refused or
 * dropped connection is a state, never an uncaught exception. Returns a function that detaches.
 */
export function trackRedisClient(
  client: RedisEvents,
  tracker: ServiceHealthTracker,
  logger: Logger,
  what: string,
): () => void {
  let lastError: unknown;
  const onReady = (): void => {
    const was = tracker.state;
    tracker.up();
    if (was === 'reconnecting' || was === 'down') logger.info({ what }, `${what}: Redis is back`);
  };
  const onError = (error: unknown): void => {
    lastError = error;
    tracker.error(error);
  };
  const onLost = (): void => {
    const was = tracker.state;
    tracker.reconnecting(lastError);
    if (was === 'up') {
      logger.warn({ what, err: lastError }, `${what}: Redis connection lost; reconnecting`);
    }
  };
  const onEnd = (): void => {
    if (tracker.state !== 'closed') tracker.down(lastError);
  };
  client.on('ready', onReady);
  client.on('error', onError);
  client.on('close', onLost);
  client.on('reconnecting', onLost);
  client.on('end', onEnd);
  return () => {
    client.off('ready', onReady);
    client.off('close', onLost);
    client.off('reconnecting', onLost);
    client.off('end', onEnd);
    // The error listener stays: a late error of a closing client must not crash the process.
  };
}
