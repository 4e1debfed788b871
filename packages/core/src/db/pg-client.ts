import { pgCursorRows, type CursorConnection, type CursorOptions } from './query-cursor.js';
import { assertChannelName, scopedClient } from './scoped-client.js';
import { isPlainIdentifier, type QueryResult, type SqlClient } from './sql-client.js';

/** The slice of a node-postgres `Client`/`PoolClient` this adapter calls. */
export interface PgConnectionLike {
  query(text: string, params?: unknown[]): Promise<{ rows: object[]; rowCount: number | null }>;
  on(
    event: 'notification',
    listener: (message: { channel: string; payload?: string | undefined }) => void,
  ): unknown;
  removeListener(
    event: 'notification',
    listener: (message: { channel: string; payload?: string | undefined }) => void,
  ): unknown;
  release?(error?: Error | boolean): void;
}

/** The slice of a node-postgres `Pool` this adapter calls. */
export interface PgPoolLike {
  query(text: string, params?: unknown[]): Promise<{ rows: object[]; rowCount: number | null }>;
  connect(): Promise<PgConnectionLike>;
  end(): Promise<void>;
}

/** Options for {@link pgClient}. */
export interface PgClientOptions {
  /**
   * End the pool when the client is closed.
   * @defaultValue false
   */
  ownsPool?: boolean | undefined;
}

/**
 * Wraps a node-postgres `Pool` as a {@link SqlClient}. The pool stays yours unless
 * `ownsPool` is set.
 *
 * @example
 * const db = pgClient(new pg.Pool({ connectionString: process.env.DATABASE_URL }), { ownsPool: true });
 */
export function pgClient(pool: PgPoolLike, options: PgClientOptions = {}): SqlClient {
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let listenConnection: Promise<PgConnectionLike> | undefined;
  let closed = false;

  const onNotification = (message: { channel: string; payload?: string | undefined }): void => {
    for (const listener of listeners.get(message.channel) ?? []) listener(message.payload ?? '');
  };

  async function listenerConnection(): Promise<PgConnectionLike> {
    listenConnection ??= pool.connect().then((connection) => {
      connection.on('notification', onNotification);
      return connection;
    });
    return listenConnection;
  }

  const client: SqlClient = {
    dialect: 'postgres',
    query: (text, params) => runQuery(pool, text, params),
    cursor: (text, params = [], options = {}) =>
      pgCursorRows(
        () => pool.connect() as unknown as Promise<CursorConnection>,
        text,
        params,
        options,
      ),
    async exec(sql: string): Promise<void> {
      await pool.query(sql);
    },
    async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      const connection = await pool.connect();
      try {
        return await runTransaction(connection, fn);
      } finally {
        connection.release?.();
      }
    },
    async session<T>(fn: (connection: SqlClient) => Promise<T>): Promise<T> {
      const connection = await pool.connect();
      try {
        return await fn(pinnedClient(connection, 'session'));
      } finally {
        // Session state (locks, settings) must not leak to the next borrower: close it.
        connection.release?.(true);
      }
    },
    async listen(
      channel: string,
      onNotify: (payload: string) => void,
    ): Promise<() => Promise<void>> {
      assertChannelName(channel, isPlainIdentifier);
      const connection = await listenerConnection();
      let set = listeners.get(channel);
      if (set === undefined) {
        set = new Set();
        listeners.set(channel, set);
        await connection.query(`LISTEN ${channel}`);
      }
      set.add(onNotify);
      return async () => {
        const current = listeners.get(channel);
        if (current === undefined) return;
        current.delete(onNotify);
        if (current.size === 0) {
          listeners.delete(channel);
          if (!closed) await connection.query(`UNLISTEN ${channel}`);
        }
      };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (listenConnection !== undefined) {
        const connection = await listenConnection.catch(() => undefined);
        if (connection !== undefined) {
          connection.removeListener('notification', onNotification);
          // A listening connection goes back to the pool only after UNLISTEN; destroy it instead.
          connection.release?.(true);
        }
      }
      if (options.ownsPool === true) await pool.end();
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await client.close();
    },
  };
  return client;
}

/** A client bound to one connection: a reserved session, or an open transaction on it. */
function pinnedClient(connection: PgConnectionLike, scope: 'session' | 'transaction'): SqlClient {
  return scopedClient(scope, {
    dialect: 'postgres',
    query: (text, params) => runQuery(connection, text, params),
    cursor: (text, params = [], options = {}) =>
      pinnedCursor(connection, scope, text, params, options),
    exec: (sql) => connection.query(sql),
    beginTransaction: (fn) => runTransaction(connection, fn),
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
): Promise<T> {
  await connection.query('BEGIN');
  try {
    const result = await fn(pinnedClient(connection, 'transaction'));
    await connection.query('COMMIT');
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
  if (own) await connection.query('BEGIN READ ONLY');
  let ok = false;
  try {
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
