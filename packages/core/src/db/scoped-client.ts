import { CoreError } from '../errors/core-error.js';
import type { SqlClient } from './sql-client.js';

/** What a client bound to one connection can do on it. */
export interface ScopedClientParts {
  readonly dialect: SqlClient['dialect'];
  readonly query: SqlClient['query'];
  readonly exec: (sql: string) => Promise<unknown>;
  /** Streams rows; inside a transaction or session it reads on that connection. */
  readonly cursor: SqlClient['cursor'];
  /** How a reserved session opens a transaction on its connection. */
  readonly beginTransaction?: SqlClient['transaction'];
}

/**
 * A {@link SqlClient} bound to one connection: a reserved session or an open transaction. Inside
 * a transaction, nested `transaction`/`session` calls join it; it cannot LISTEN, and closing it
 * leaves the connection to its owner.
 */
export function scopedClient(
  scope: 'session' | 'transaction',
  parts: ScopedClientParts,
): SqlClient {
  const scoped: SqlClient = {
    dialect: parts.dialect,
    query: parts.query,
    cursor: parts.cursor,
    async exec(sql: string): Promise<void> {
      await parts.exec(sql);
    },
    transaction: (fn) =>
      scope === 'session' && parts.beginTransaction !== undefined
        ? parts.beginTransaction(fn)
        : fn(scoped),
    session: (fn) => fn(scoped),
    listen: () =>
      Promise.reject(new CoreError('INVALID_ARGUMENT', `listen: not available inside a ${scope}`)),
    services: () => [],
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
  return scoped;
}

/**
 * Checks a NOTIFY channel name (it is spliced into `LISTEN`, so only plain identifiers pass).
 *
 * @throws {CoreError} `INVALID_ARGUMENT` naming the channel.
 */
export function assertChannelName(channel: string, isPlain: (name: string) => boolean): void {
  if (!isPlain(channel)) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `listen: channel must be a plain identifier, got ${JSON.stringify(channel)}`,
    );
  }
}
