import { CoreError } from '../errors/core-error.js';
import { optionalModule } from './optional-module.js';
import { quoteIdent } from './sql-client.js';

/** Options of {@link SqlClient.cursor}. */
export interface CursorOptions {
  /**
   * Rows fetched per round trip (and per yielded batch).
   * @defaultValue 1000
   */
  batchSize?: number | undefined;
  /** Aborting stops the read and releases the cursor, transaction and connection at once. */
  signal?: AbortSignal | undefined;
  /**
   * `array` yields each row as an array of column values in select order.
   * @defaultValue 'object'
   */
  rowMode?: 'object' | 'array' | undefined;
  /**
   * Yield every value as PostgreSQL's text form (or null) instead of a parsed JS value, for
   * callers that convert values themselves (microsecond timestamps, exact numerics, int8).
   * @defaultValue false
   */
  raw?: boolean | undefined;
  /** Statement timeout in ms for the cursor's query (PostgreSQL only; 0 or absent: none). */
  statementTimeoutMs?: number | undefined;
  /**
   * A database role the read runs as (`SET LOCAL ROLE`, for this transaction only), so that it
   * has that role's grants and no more. The connecting user must be a member of it.
   */
  role?: string | undefined;
}

/** Refuses `role` for a cursor inside the caller's own transaction (it would outlive the read). */
export function refuseRoleInTransaction(options: CursorOptions): void {
  if (options.role !== undefined) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      'cursor: the role option needs a cursor of its own; it is not available inside a transaction',
    );
  }
}

/** The statements that open a cursor's transaction, with its timeout and role. */
export function cursorPrelude(options: CursorOptions, begin: string): string[] {
  const prelude = [begin];
  const timeout = options.statementTimeoutMs;
  if (timeout !== undefined && timeout > 0) {
    prelude.push(`SET LOCAL statement_timeout = ${String(Math.floor(timeout))}`);
  }
  if (options.role !== undefined) {
    if (options.role === '')
      throw new CoreError('INVALID_ARGUMENT', 'cursor: role must not be empty');
    prelude.push(`SET LOCAL ROLE ${quoteIdent(options.role)}`);
  }
  return prelude;
}

/** The slice of `pg-cursor` this module calls. */
export interface PgCursorLike {
  read(rows: number): Promise<unknown[]>;
  close(): Promise<void>;
}

/** The constructor of `pg-cursor`. */
export type PgCursorConstructor = new (
  text: string,
  values: unknown[],
  config: { rowMode?: 'array'; types?: { getTypeParser: () => (value: string) => unknown } },
) => PgCursorLike;

/** A pooled node-postgres connection as the cursor uses it. */
export interface CursorConnection {
  query(text: string, params?: unknown[]): Promise<unknown>;
  query(cursor: PgCursorLike): PgCursorLike;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
  release?(error?: Error | boolean): void;
}

const RAW_TYPES = { getTypeParser: () => (value: string) => value };

/** Loads the optional `pg-cursor` package once. */
export const loadPgCursor = optionalModule(
  'pg-cursor',
  'cursor',
  (module) => (module as { default: unknown }).default as PgCursorConstructor,
);

/** The pg `Connection` calls a cursor makes to write extended-protocol messages. */
interface WireConnection {
  parse(query: { text: string }): void;
  bind(config: { portal?: string; statement?: string; values?: unknown[] }): void;
  execute(config: { portal?: string; rows?: number }): void;
  readonly stream?: { cork?(): void; uncork?(): void } | undefined;
}

/** What a pg-cursor instance is to node-postgres: a submittable with message handlers. */
type SubmittableCursor = PgCursorLike & {
  submit(connection: WireConnection): void;
  handleCommandComplete(message: unknown, connection: unknown): void;
  /** pg-cursor's hand-over of the rows read so far to the pending `read`. */
  _sendRows(): void;
  /** pg-cursor's rows of the current fetch. */
  _rows: unknown[];
  handleDataRow(message: { fields: unknown[] }): void;
};

type PreludeCursorConstructor = new (
  prelude: readonly string[],
  ...args: ConstructorParameters<PgCursorConstructor>
) => PgCursorLike;

const preludeCursors = new WeakMap<PgCursorConstructor, PreludeCursorConstructor>();

/**
 * A pg-cursor that runs `prelude` statements (no parameters, no rows) ahead of its own Parse,
 * Bind and Describe in the same extended-protocol pipeline, with no Sync in between: a
 * `BEGIN` there opens the transaction the portal lives in. pg-cursor sends the first Execute
 * as soon as it is read, so a cursor plus its transaction costs one round trip, not two. The
 * messages are corked into one write. The rows of a fetch that completes the portal are handed
 * over on its CommandComplete.
 */
function withPrelude(Cursor: PgCursorConstructor): PreludeCursorConstructor {
  let subclass = preludeCursors.get(Cursor);
  if (subclass !== undefined) return subclass;
  const Base = Cursor as unknown as new (
    ...args: ConstructorParameters<PgCursorConstructor>
  ) => SubmittableCursor;
  subclass = class extends Base {
    readonly #prelude: readonly string[];
    // Command completions that belong to the prelude, not to the cursor's portal.
    #preludeLeft: number;
    // Raw text in array rows: a DataRow's fields are the row as it is.
    readonly #rawArrays: boolean;

    constructor(prelude: readonly string[], ...args: ConstructorParameters<PgCursorConstructor>) {
      super(...args);
      this.#prelude = prelude;
      this.#preludeLeft = prelude.length;
      const config = args[2];
      this.#rawArrays = config.rowMode === 'array' && config.types === RAW_TYPES;
    }

    override handleDataRow(message: { fields: unknown[] }): void {
      // pg-cursor would copy the fields through identity parsers into a new array and emit a
      // 'row' event for each row, which nobody here listens to.
      if (this.#rawArrays) this._rows.push(message.fields);
      else super.handleDataRow(message);
    }

    override submit(connection: WireConnection): void {
      const stream = connection.stream;
      stream?.cork?.();
      for (const text of this.#prelude) {
        connection.parse({ text });
        connection.bind({});
        connection.execute({});
      }
      super.submit(connection);
      // The first fetch is written by the read() that follows submit in the same tick.
      if (stream?.uncork !== undefined) {
        process.nextTick(() => {
          stream.uncork?.();
        });
      }
    }

    override handleCommandComplete(message: unknown, connection: unknown): void {
      if (this.#preludeLeft > 0) {
        this.#preludeLeft--;
        return;
      }
      super.handleCommandComplete(message, connection);
      // The portal is done (a short last fetch). pg-cursor would hand these rows over only at
      // ReadyForQuery, one more round trip away (its Close and Sync): hand them over now. The
      // connection stays busy until then, so the COMMIT that follows still waits for it.
      this._sendRows();
    }
  };
  preludeCursors.set(Cursor, subclass);
  return subclass;
}

/** A function, not an inline check, so that the flag is read afresh after every await. */
export function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** What a read stopped by `signal` throws: its reason. */
export function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new CoreError('INVALID_ARGUMENT', 'cursor: aborted');
}

/**
 * Streams a query's rows from a server-side cursor on a dedicated node-postgres connection,
 * inside a READ ONLY transaction, one `read(batchSize)` ahead of the consumer: the next batch is
 * fetched while the consumer works on the current one, and a slow consumer holds the cursor still
 * with at most one batch buffered instead of the result. Abort, an error or an early `break` ends
 * the transaction and gives the connection back; an abort while a read is in flight destroys the
 * connection, which ends the server-side transaction immediately.
 */
export async function* pgCursorRows<Row>(
  connect: () => Promise<CursorConnection>,
  text: string,
  params: readonly unknown[],
  options: CursorOptions,
): AsyncGenerator<Row[]> {
  const { signal } = options;
  if (signal !== undefined && aborted(signal)) throw abortError(signal);
  const prelude = cursorPrelude(options, 'BEGIN READ ONLY');
  const Cursor = await loadPgCursor();
  const connection = await connect();
  let broken: Error | undefined;
  // A connection checked out for a long stream must not crash the process when it drops.
  const onError = (error: Error): void => {
    broken = error;
  };
  connection.on('error', onError);
  // Mutated from the abort listener, so kept in an object rather than narrowed locals.
  const state = { reading: false, destroyed: false };
  const onAbort = (): void => {
    if (!state.reading) return;
    state.destroyed = true;
    connection.release?.(true);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let finished = false;
  try {
    // The transaction, its timeout and role, the cursor and its first fetch go out as one
    // pipeline: the first rows are one round trip away, as for a plain query.
    const cursor = connection.query(
      new (withPrelude(Cursor))(prelude, text, [...params], {
        ...(options.rowMode === 'array' ? { rowMode: 'array' as const } : {}),
        ...(options.raw === true ? { types: RAW_TYPES } : {}),
      }),
    );
    const batchSize = options.batchSize ?? 1000;
    const read = (): Promise<Row[]> => {
      state.reading = true;
      const next = cursor.read(batchSize) as Promise<Row[]>;
      // A fetch still in flight when the consumer stops ends with the connection; its
      // rejection, if any, has nobody left to hear it.
      next.catch(() => undefined);
      return next;
    };
    let pending = read();
    for (;;) {
      const rows = await pending;
      state.reading = false;
      if (broken !== undefined) throw broken;
      if (signal !== undefined && aborted(signal)) throw abortError(signal);
      if (rows.length === 0) break;
      const last = rows.length < batchSize;
      // The next fetch goes out before this batch is handed over, so the database produces
      // it while the consumer works on this one (one batch ahead, never more).
      if (!last) pending = read();
      yield rows;
      if (last) break;
      if (signal !== undefined && aborted(signal)) throw abortError(signal);
    }
    await cursor.close();
    await connection.query('COMMIT');
    finished = true;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!state.destroyed) {
      if (finished) {
        connection.release?.();
      } else {
        // Stopped early (break, abort between reads, failure): the cursor and transaction end
        // with the connection, which is not reused (it may be mid-protocol).
        connection.release?.(true);
      }
    }
    connection.removeListener('error', onError);
  }
}

/** What a PGlite instance offers the cursor: plain queries with per-query options. */
export interface PGliteCursorTarget {
  query(
    text: string,
    params?: unknown[],
    options?: {
      rowMode?: 'array' | 'object';
      parsers?: Record<number, (value: string) => unknown>;
    },
  ): Promise<{ rows: unknown[] }>;
  /** PGlite's exclusive transaction: no other caller's statement runs inside it. */
  transaction?<T>(fn: (tx: PGliteCursorTarget) => Promise<T>): Promise<T>;
}

// Every type PGlite parses by default, handed back as text in raw mode.
const PGLITE_PARSED_TYPES = [
  16, 17, 20, 21, 23, 26, 114, 700, 701, 1082, 1083, 1114, 1184, 1266, 1700, 3802,
];
const PGLITE_RAW = Object.fromEntries(
  PGLITE_PARSED_TYPES.map((oid) => [oid, (value: string) => value]),
);
let pgliteCursorId = 0;

/**
 * The PGlite form of the cursor: a `WITH HOLD` cursor declared outside any transaction and read
 * with `FETCH`, so the single embedded connection stays free for other statements between
 * batches (PGlite materialises the result when the cursor is declared). Closed on completion,
 * abort, failure or early `break`.
 */
export async function* pgliteCursorRows<Row>(
  db: PGliteCursorTarget,
  normaliseParam: (value: unknown) => unknown,
  text: string,
  params: readonly unknown[],
  options: CursorOptions,
  scope: 'database' | 'transaction' = 'database',
): AsyncGenerator<Row[]> {
  const { signal } = options;
  if (signal !== undefined && aborted(signal)) throw abortError(signal);
  if (scope === 'transaction') refuseRoleInTransaction(options);
  const name = `fraiseql_cursor_${String(++pgliteCursorId)}`;
  const declare = `DECLARE ${name} NO SCROLL CURSOR WITH HOLD FOR ${text}`;
  if (options.role === undefined) {
    await db.query(declare, params.map(normaliseParam));
  } else {
    // The role holds while the cursor is declared (where its privileges are checked) and
    // materialised at COMMIT; the FETCHes read the held result. PGlite's own transaction keeps
    // every other caller's statements out of it (one connection serves them all).
    if (db.transaction === undefined) {
      throw new CoreError('INVALID_ARGUMENT', 'cursor: the role option needs PGlite transactions');
    }
    const settings = cursorPrelude(options, 'BEGIN').slice(1);
    await db.transaction(async (tx) => {
      for (const statement of settings) await tx.query(statement);
      await tx.query(declare, params.map(normaliseParam));
    });
  }
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 1000));
  const queryOptions = {
    rowMode: options.rowMode ?? 'object',
    ...(options.raw === true ? { parsers: PGLITE_RAW } : {}),
  };
  try {
    for (;;) {
      if (signal !== undefined && aborted(signal)) throw abortError(signal);
      const { rows } = await db.query(`FETCH ${String(batchSize)} FROM ${name}`, [], queryOptions);
      if (rows.length === 0) break;
      yield rows as Row[];
      if (rows.length < batchSize) break;
    }
  } finally {
    await db.query(`CLOSE ${name}`).catch(() => undefined);
  }
}
