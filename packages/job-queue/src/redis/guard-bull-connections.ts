import type { EventEmitter } from 'node:events';

/**
 * Makes the Redis connections BullMQ opens for `owner` (a `Queue` or `Worker`) unable to crash
 * the process. BullMQ's `RedisConnection` removes every listener when it closes, but a
 * connection still waiting for its first `ready` rejects later and emits `'error'` on the now
 * listener-less emitter: Node turns that into an uncaught exception (a worker closed while
 * Redis is unreachable killed its host). The guard reports such late errors to `onError`
 * instead. The connections are BullMQ internals (`connection`, `blockingConnection`); when a
 * BullMQ version renames them nothing is guarded, and the loss tests fail.
 */
export function guardBullConnections(owner: object, onError: (error: unknown) => void): void {
  const fields = owner as { connection?: unknown; blockingConnection?: unknown };
  for (const connection of [fields.connection, fields.blockingConnection]) {
    if (!isEmitter(connection)) continue;
    const emit = connection.emit.bind(connection);
    connection.emit = (event: string | symbol, ...args: unknown[]): boolean => {
      if (event === 'error' && connection.listenerCount('error') === 0) {
        onError(args[0]);
        return false;
      }
      return emit(event, ...args);
    };
  }
}

function isEmitter(value: unknown): value is EventEmitter {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as EventEmitter).emit === 'function' &&
    typeof (value as EventEmitter).listenerCount === 'function'
  );
}

/**
 * Drops the Redis connections BullMQ opened for `owner` without waiting for Redis: BullMQ's own
 * `close()` and `disconnect()` wait for a clean end that never comes while Redis is unreachable
 * (and the reconnect timers would keep the process alive). Same internals as
 * {@link guardBullConnections}.
 */
export function dropBullConnections(owner: object): void {
  const fields = owner as { connection?: unknown; blockingConnection?: unknown };
  for (const connection of [fields.connection, fields.blockingConnection]) {
    const drop = (connection as { disconnect?: (wait: boolean) => Promise<void> } | undefined)
      ?.disconnect;
    if (typeof drop !== 'function') continue;
    drop.call(connection, false).catch(() => undefined);
  }
}

/**
 * Stops the timers a BullMQ `Worker` arms for itself (the lock extender and the stalled-job
 * checker). Its own `close()` stops them only after the connections ended cleanly, which never
 * happens while Redis is unreachable: without this, a worker closed then keeps the process
 * alive. BullMQ internals (`lockManager.close()`, `stalledCheckStopper`), like
 * {@link dropBullConnections}; when a BullMQ version renames them nothing is stopped and the
 * Redis-loss test of a process exiting after `close()` fails.
 */
export function stopBullWorkerTimers(worker: object): void {
  const fields = worker as {
    lockManager?: { close?: () => Promise<void> };
    stalledCheckStopper?: () => void;
  };
  fields.lockManager?.close?.().catch(() => undefined);
  fields.stalledCheckStopper?.();
}
