import { CoreError } from '../errors/core-error.js';
import type { ServiceHealth } from '../health/service-health.js';
import { ServiceHealthTracker } from '../health/service-health-tracker.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import { isConnectionLoss } from './pg-connection-loss.js';
import { PgListener } from './pg-listener.js';
import {
  cursorPrelude,
  pgCursorRows,
  refuseRoleInTransaction,
  type CursorConnection,
  type CursorOptions,
} from './query-cursor.js';
import { pgCopyOut, type CopyConnection, type CopyTypeCache } from './query-copy.js';
import { assertChannelName, scopedClient } from './scoped-client.js';
import {
  isPlainIdentifier,
  type ListenOptions,
  type QueryResult,
  type SqlClient,
} from './sql-client.js';

type Observe = <T>(work: Promise<T>) => Promise<T>;

interface Notification {
  channel: string;
  payload?: string | undefined;
}

/** The slice of a node-postgres `Client`/`PoolClient` this adapter calls. */
export interface PgConnectionLike {
  query(text: string, params?: unknown[]): Promise<{ rows: object[]; rowCount: number | null }>;
  on(event: 'notification', listener: (message: Notification) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeListener(event: 'notification', listener: (message: Notification) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
  release?(error?: Error | boolean): void;
}

/** The slice of a node-postgres `Pool` this adapter calls. */
export interface PgPoolLike {
  query(text: string, params?: unknown[]): Promise<{ rows: object[]; rowCount: number | null }>;
  connect(): Promise<PgConnectionLike>;
  end(): Promise<void>;
  /** When present, the client listens to the pool's `'error'` (an idle connection lost). */
  on?(event: 'error', listener: (error: Error) => void): unknown;
}

/** Options for {@link pgClient}. */
export interface PgClientOptions {
  /**
   * End the pool when the client is closed.
   * @defaultValue false
   */
  ownsPool?: boolean | undefined;
  /**
   * Name of the pool in health reports; the LISTEN connection is `<name>:listen`.
   * @defaultValue `'postgres'`
   */
  name?: string | undefined;
  /** Where the pool connects (`host:port/database`, no credentials), for health reports. */
  target?: string | undefined;
  /**
   * Told about lost connections and the LISTEN connection's recovery.
   * @defaultValue silence
   */
  logger?: Logger | undefined;
}

/**
 * Wraps a node-postgres `Pool` as a {@link SqlClient}. The pool stays yours unless
 * `ownsPool` is set. Every connection it holds (checked out for a transaction, a session or a
 * cursor, or kept for LISTEN) has an `'error'` listener, so a server restart or a terminated
 * backend fails the statements in flight instead of crashing the process; the pool opens new
 * connections on the next use and the LISTEN connection is re-established with backoff.
 *
 * @example
 * const db = pgClient(new pg.Pool({ connectionString: process.env.DATABASE_URL }), { ownsPool: true });
 */
export function pgClient(pool: PgPoolLike, options: PgClientOptions = {}): SqlClient {
  const name = options.name ?? 'postgres';
  const logger = options.logger ?? silentLogger;
  const health = new ServiceHealthTracker({ name, kind: 'postgres', target: options.target });
  const listenHealth = new ServiceHealthTracker({
    name: `${name}:listen`,
    kind: 'postgres',
    target: options.target,
  });
  const listener = new PgListener(pool, listenHealth, logger);
  // Connections that reported an error: never given back to the pool for reuse.
  const broken = new WeakSet<PgConnectionLike>();
  const guarded = new WeakSet<PgConnectionLike>();
  let closed = false;

  pool.on?.('error', (error) => {
    health.down(error);
  });

  /** Reports the outcome of a round trip to the pool's health. */
  function observe<T>(work: Promise<T>): Promise<T> {
    return work.then(
      (result) => {
        health.up();
        return result;
      },
      (error: unknown) => {
        if (isConnectionLoss(error)) health.down(error);
        else health.up();
        throw error;
      },
    );
  }

  /** Checks a connection out with an `'error'` listener that stays for its whole life. */
  async function checkout(): Promise<PgConnectionLike> {
    const connection = await observe(pool.connect());
    if (!guarded.has(connection)) {
      guarded.add(connection);
      connection.on('error', (error) => {
        broken.add(connection);
        health.down(error);
      });
    }
    return connection;
  }

  function release(connection: PgConnectionLike, destroy: boolean): void {
    connection.release?.(destroy || broken.has(connection) ? true : undefined);
  }

  // Parameter types of statements read through COPY, for this database.
  const copyTypes: CopyTypeCache = new Map();

  const client: SqlClient = {
    dialect: 'postgres',
    query: (text, params) => observe(runQuery(pool, text, params)),
    cursor: (text, params = [], cursorOptions = {}) =>
      pgCursorRows(
        () => checkout() as unknown as Promise<CursorConnection>,
        text,
        params,
        cursorOptions,
      ),
    copyOut: (text, params = [], copyOptions = {}) =>
      pgCopyOut(
        () => checkout() as unknown as Promise<CopyConnection>,
        copyTypes,
        text,
        params,
        copyOptions,
      ),
    async exec(sql: string): Promise<void> {
      await observe(pool.query(sql));
    },
    async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      const connection = await checkout();
      try {
        return await runTransaction(connection, fn, observe);
      } finally {
        release(connection, false);
      }
    },
    async session<T>(fn: (connection: SqlClient) => Promise<T>): Promise<T> {
      const connection = await checkout();
      try {
        return await fn(pinnedClient(connection, 'session', observe));
      } finally {
        // Session state (locks, settings) must not leak to the next borrower: close it.
        release(connection, true);
      }
    },
    async listen(
      channel: string,
      onNotify: (payload: string) => void,
      listenOptions: ListenOptions = {},
    ): Promise<() => Promise<void>> {
      assertChannelName(channel, isPlainIdentifier);
      if (closed) throw new CoreError('INVALID_ARGUMENT', 'listen: the client is closed');
      return listener.subscribe(channel, { ...listenOptions, onNotify });
    },
    services(): readonly ServiceHealth[] {
      return listener.started ? [health.snapshot(), listenHealth.snapshot()] : [health.snapshot()];
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await listener.close();
      health.closed();
      if (options.ownsPool === true) await pool.end();
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await client.close();
    },
  };
  return client;
}

/** A client bound to one connection: a reserved session, or an open transaction on it. */
function pinnedClient(
  connection: PgConnectionLike,
  scope: 'session' | 'transaction',
  observe: Observe,
): SqlClient {
  return scopedClient(scope, {
    dialect: 'postgres',
    query: (text, params) => observe(runQuery(connection, text, params)),
    cursor: (text, params = [], options = {}) =>
      pinnedCursor(connection, scope, text, params, options),
    exec: (sql) => observe(connection.query(sql)),
    beginTransaction: (fn) => runTransaction(connection, fn, observe),
  });
}

async function runQuery<Row extends object>(
  target: Pick<PgConnectionLike, 'query'>,
  text: string,
  params: readonly unknown[] = [],
): Promise<QueryResult<Row>> {
  const result = await target.query(text, [...params]);
  return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
}

async function runTransaction<T>(
  connection: PgConnectionLike,
  fn: (tx: SqlClient) => Promise<T>,
  observe: Observe,
): Promise<T> {
  await observe(connection.query('BEGIN'));
  try {
    const result = await fn(pinnedClient(connection, 'transaction', observe));
    await observe(connection.query('COMMIT'));
    return result;
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

let pinnedCursorId = 0;

/**
 * A cursor on a connection already reserved for a session or transaction: `DECLARE … FETCH`
 * there (inside the caller's transaction, or a short one of its own in a session), so it sees
 * what the caller's transaction sees. Closed when the loop ends.
 */
async function* pinnedCursor<Row>(
  connection: PgConnectionLike,
  scope: 'session' | 'transaction',
  text: string,
  params: readonly unknown[],
  options: CursorOptions,
): AsyncGenerator<Row[]> {
  const name = `fraiseql_cursor_${String(++pinnedCursorId)}`;
  const own = scope === 'session';
  const prelude = own ? cursorPrelude(options, 'BEGIN READ ONLY') : [];
  if (!own) refuseRoleInTransaction(options);
  let ok = false;
  try {
    // In the finally below, a failed prelude statement rolls its transaction back.
    for (const statement of prelude) await connection.query(statement);
    await connection.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${text}`, [...params]);
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? 1000));
    for (;;) {
      if (options.signal?.aborted === true) throw options.signal.reason;
      const { rows } = await connection.query(
        options.rowMode === 'array' || options.raw === true
          ? ({
              text: `FETCH ${String(batchSize)} FROM ${name}`,
              ...(options.rowMode === 'array' ? { rowMode: 'array' } : {}),
              ...(options.raw === true
                ? { types: { getTypeParser: () => (value: string) => value } }
                : {}),
            } as unknown as string)
          : `FETCH ${String(batchSize)} FROM ${name}`,
      );
      if (rows.length === 0) break;
      yield rows as Row[];
      if (rows.length < batchSize) break;
    }
    ok = true;
  } finally {
    if (own) await connection.query(ok ? 'COMMIT' : 'ROLLBACK').catch(() => undefined);
    else await connection.query(`CLOSE ${name}`).catch(() => undefined);
  }
}
