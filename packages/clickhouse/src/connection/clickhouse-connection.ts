/** Settings sent with one statement (`insert_deduplication_token`, `max_query_size`, …). */
export type ClickHouseSettings = Readonly<Record<string, string | number>>;

/**
 * Text formats the sink inserts in, both read by every server version: `TabSeparated` for
 * events (several times cheaper for the server to parse than JSON), `JSONEachRow` for the
 * dead-letter table.
 */
export type InsertFormat = 'TabSeparated' | 'JSONEachRow';

/** Options every round trip takes. */
export interface RoundTripOptions {
  readonly signal?: AbortSignal | undefined;
  readonly settings?: ClickHouseSettings | undefined;
}

/**
 * The few round trips the sink, the DDL and the analytics need, so that the same statements
 * run over HTTP (`@clickhouse/client`) and on any other engine an adapter exposes. Failures
 * reject with a `ClickHouseError` classified by `classifyFailure`.
 */
export interface ClickHouseConnection {
  /** Short name for logs (`http://127.0.0.1:8123`, never with credentials). */
  readonly description: string;
  /** Runs a SELECT and returns its rows (JSONEachRow: 64-bit integers arrive as strings). */
  query<Row = Record<string, unknown>>(sql: string, options?: RoundTripOptions): Promise<Row[]>;
  /** Runs a statement that returns nothing (DDL, `SYSTEM …`, `INSERT … SELECT`). */
  command(sql: string, options?: RoundTripOptions): Promise<void>;
  /**
   * Inserts pre-encoded lines (`body`, one row per line, in `format`; text or its UTF-8 bytes)
   * into `table` (an already quoted, qualified name) in one statement; resolves once the server
   * accepted them.
   */
  insertLines(
    table: string,
    columns: readonly string[],
    format: InsertFormat,
    body: string | Uint8Array,
    options?: RoundTripOptions,
  ): Promise<void>;
  /** Resolves when the server answers. */
  ping(options?: RoundTripOptions): Promise<void>;
  close(): Promise<void>;
}
