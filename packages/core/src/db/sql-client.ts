import type { ServiceHealth, ServiceHealthReporter } from '../health/service-health.js';
import type { CopyOutOptions } from './query-copy.js';
import type { CursorOptions } from './query-cursor.js';

/** Rows returned by {@link SqlClient.query}. */
export interface QueryResult<Row> {
  readonly rows: Row[];
  /** Rows affected by INSERT/UPDATE/DELETE, when the driver reports it. */
  readonly rowCount: number;
}

/** Callbacks of {@link SqlClient.listen} about the listening connection itself. */
export interface ListenOptions {
  /**
   * The listening connection was lost (server restart, terminated backend). Notifications sent
   * until {@link ListenOptions.onRestored} are not delivered: poll for what they would announce.
   */
  readonly onLost?: ((error: unknown) => void) | undefined;
  /** Listening again after a loss; look for what happened while it was down. */
  readonly onRestored?: (() => void) | undefined;
}

/** A row as the driver returns it. */
export type SqlRow = Record<string, unknown>;

/**
 * The database slice every FraiseQL package uses, implemented for node-postgres
 * ({@link pgClient}) and PGlite ({@link pgliteClient}). All statements are parameterised
 * (`$1, $2, ...`); scripts without parameters go through {@link SqlClient.exec}.
 */
export interface SqlClient extends ServiceHealthReporter {
  /** `postgres` for a server reached over the network, `pglite` for the embedded engine. */
  readonly dialect: 'postgres' | 'pglite';
  /** Runs one parameterised statement. */
  query<Row extends object = SqlRow>(
    text: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<Row>>;
  /**
   * Streams the rows of one parameterised read from a server-side cursor, `batchSize` rows at a
   * time, pulling the next batch only when the consumer asks for it. On PostgreSQL it runs on a
   * dedicated connection in a READ ONLY transaction; on PGlite it is a `WITH HOLD` cursor. An
   * abort, a failure or an early `break` closes the cursor and ends its transaction at once.
   */
  cursor<Row = SqlRow>(
    text: string,
    params?: readonly unknown[],
    options?: CursorOptions,
  ): AsyncIterable<Row[]>;
  /**
   * Streams one parameterised read as `COPY (…) TO STDOUT` text-format bytes, in chunks that
   * may end mid-row: values as PostgreSQL's text (as `raw` cursor rows have them), tab
   * separated, `\N` for NULL, backslash escapes, a newline after each row. PostgreSQL pool
   * clients only (absent on PGlite and inside a transaction or session); needs the optional
   * `pg-copy-streams`. Cheaper than a cursor for long reads: no JavaScript string per value.
   */
  copyOut?(
    text: string,
    params?: readonly unknown[],
    options?: CopyOutOptions,
  ): AsyncIterable<Buffer>;
  /** Runs a script of one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in one transaction on one connection: commits when it resolves, rolls back when
   * it throws (and rethrows). Nested calls reuse the outer transaction.
   */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` on one connection reserved for it, outside a transaction (each statement commits
   * on its own), for work that needs session state such as a session advisory lock held across
   * statements. Inside {@link SqlClient.transaction}, it runs on the transaction's connection.
   */
  session<T>(fn: (connection: SqlClient) => Promise<T>): Promise<T>;
  /**
   * Subscribes to `NOTIFY` on `channel` (a plain identifier). Resolves once listening, to a
   * function that unsubscribes. On PostgreSQL the listening connection is re-established with
   * backoff when it is lost; `options` hear about the loss and the recovery.
   */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    options?: ListenOptions,
  ): Promise<() => Promise<void>>;
  /**
   * The state of the connections this client holds: on PostgreSQL `postgres` (the pool: `up`
   * after a round trip, `down` after a lost or refused connection) and, once something listens,
   * `postgres:listen` (`reconnecting` while the LISTEN connection is re-established). Empty for
   * PGlite and for clients bound to a transaction or session.
   */
  services(): readonly ServiceHealth[];
  /** Releases what this client owns (a pool it created, a PGlite it opened). */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * Quotes an SQL identifier (`tb_order`, `My Table`) for places where parameters cannot go.
 * Schema-qualified names are split on the first dot: `quoteIdent('core.x')` → `"core"."x"`.
 */
export function quoteIdent(name: string): string {
  const parts = name.includes('"') ? [name] : name.split('.');
  return parts.map((part) => `"${part.replace(/"/g, '""')}"`).join('.');
}

/** True when `name` is a plain unquoted identifier (used to validate NOTIFY channel names). */
export function isPlainIdentifier(name: string): boolean {
  return IDENTIFIER.test(name) && name.length <= 63;
}
