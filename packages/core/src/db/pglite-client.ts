import { pgliteCursorRows, type PGliteCursorTarget } from './query-cursor.js';
import { assertChannelName, scopedClient } from './scoped-client.js';
import { isPlainIdentifier, type QueryResult, type SqlClient } from './sql-client.js';

interface PGliteResultsLike {
  rows: unknown[];
  affectedRows?: number;
}

/** The slice of a PGlite transaction this adapter calls. */
export interface PGliteTransactionLike {
  query(text: string, params?: unknown[]): Promise<PGliteResultsLike>;
  exec(sql: string): Promise<unknown>;
}

/** The slice of a `PGlite` instance this adapter calls. */
export interface PGliteLike extends PGliteTransactionLike {
  transaction<T>(fn: (tx: PGliteTransactionLike) => Promise<T>): Promise<T>;
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Options for {@link pgliteClient}. */
export interface PGliteClientOptions {
  /**
   * Close the PGlite instance when the client is closed.
   * @defaultValue false
   */
  ownsDatabase?: boolean | undefined;
}

/**
 * Wraps an embedded PGlite database as a {@link SqlClient}. PGlite is one connection: queries
 * are serialised and a transaction holds it exclusively.
 */
export function pgliteClient(db: PGliteLike, options: PGliteClientOptions = {}): SqlClient {
  let closed = false;
  const client: SqlClient = {
    dialect: 'pglite',
    query: (text, params) => runQuery(db, text, params),
    cursor: (text, params = [], options = {}) =>
      pgliteCursorRows(db as unknown as PGliteCursorTarget, normaliseParam, text, params, options),
    async exec(sql: string): Promise<void> {
      await db.exec(sql);
    },
    transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      return db.transaction(async (raw) => {
        const tx = scopedClient('transaction', {
          dialect: 'pglite',
          query: (text, params) => runQuery(raw, text, params),
          cursor: (text, params = [], options = {}) =>
            pgliteCursorRows(
              raw as unknown as PGliteCursorTarget,
              normaliseParam,
              text,
              params,
              options,
              'transaction',
            ),
          exec: (sql) => raw.exec(sql),
        });
        return fn(tx);
      });
    },
    // One connection: a session is the database itself.
    session: (fn) => fn(client),
    async listen(
      channel: string,
      onNotify: (payload: string) => void,
    ): Promise<() => Promise<void>> {
      assertChannelName(channel, isPlainIdentifier);
      const unlisten = await db.listen(channel, onNotify);
      return async () => {
        if (!closed) await unlisten();
      };
    },
    // Embedded: no connection that could be lost.
    services: () => [],
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (options.ownsDatabase === true) await db.close();
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await client.close();
    },
  };
  return client;
}

async function runQuery<Row extends object>(
  target: PGliteTransactionLike,
  text: string,
  params: readonly unknown[] = [],
): Promise<QueryResult<Row>> {
  const result = await target.query(text, params.map(normaliseParam));
  return { rows: result.rows as Row[], rowCount: result.affectedRows ?? result.rows.length };
}

// node-postgres sends objects and arrays of objects as JSON text; PGlite serialises by the
// inferred type. Sending JSON text for plain objects gives both drivers the same behaviour.
function normaliseParam(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (
    value === null ||
    typeof value !== 'object' ||
    value instanceof Date ||
    ArrayBuffer.isView(value)
  )
    return value;
  if (Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object'))
    return value;
  return JSON.stringify(value);
}
