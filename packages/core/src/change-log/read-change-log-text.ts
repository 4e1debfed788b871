import type { SqlClient } from '../db/sql-client.js';
import { CoreError } from '../errors/core-error.js';
import { CHANGE_LOG_HORIZON } from './change-log-horizon.js';
import { CHANGE_LOG_TABLE } from './change-log-table.js';
import { pageEnd, type ChangeLogPosition } from './read-change-log-page.js';

/** What {@link readChangeLogText} writes for each row, and for which rows. */
export interface ChangeLogTextSelect {
  /**
   * Select-list expressions on the row alias `l` (every column of the change log), written for
   * each row that {@link ChangeLogTextSelect.when} admits. Library code only: the text goes
   * into the statement as it is.
   */
  readonly select: readonly string[];
  /**
   * A condition on the row alias `l`: the rows the `select` expressions are right for. The
   * other rows come back by key, for the caller to read as rows (NULL counts as false).
   */
  readonly when: string;
}

/** Options of {@link readChangeLogText}. */
export interface ChangeLogTextOptions extends ChangeLogTextSelect {
  /** Rows strictly after this position are read. */
  readonly after: ChangeLogPosition;
  /** Most rows in the page (admitted or not). */
  readonly limit: number;
  readonly signal?: AbortSignal | undefined;
}

/** One page of change-log rows below the visibility horizon, as COPY text. */
export interface ChangeLogTextPage {
  /**
   * For each admitted row, in change-log order, the bytes its line is in (rows share them: the
   * chunks as they arrived). Lines are in PostgreSQL's COPY text format: columns separated by
   * tabs, `\N` for NULL, backslash, tab, newline, carriage return, backspace, form feed and
   * vertical tab escaped with a backslash.
   */
  readonly buffers: readonly Buffer[];
  /** For each admitted row: where its `select` columns start in `buffers[i]`. */
  readonly starts: Uint32Array;
  /** For each admitted row: the offset in `buffers[i]` just past its newline. */
  readonly ends: Uint32Array;
  /** `pk_entity_change_log` of each row `when` did not admit, in change-log order. */
  readonly others: readonly string[];
  /** Rows in the page, admitted or not. */
  readonly rows: number;
  /** Where the next read starts (as {@link readChangeLogPage}'s `next`). */
  readonly next: ChangeLogPosition;
  /** True when the page was cut at the limit (more rows are waiting). */
  readonly full: boolean;
  /** The horizon the page was read below. */
  readonly horizon: bigint;
}

const TAB = 0x09;
const NEWLINE = 0x0a;

/**
 * {@link readChangeLogPage}'s page (same rows, same order, same horizon rule, one statement),
 * read through `COPY … TO STDOUT` ({@link SqlClient.copyOut}): the bytes of the `select`
 * columns arrive without a JavaScript string or object per value, for loaders that write them
 * on as text (ClickHouse's TabSeparated reads the same escapes). Rows the `when` condition does
 * not admit (malformed rows, shapes the `select` does not handle) come back only by key.
 *
 * @throws {CoreError} `INVALID_ARGUMENT` when `db` has no `copyOut` (PGlite) or the optional
 *   `pg-copy-streams` is missing, or for an empty `select`; the database's error otherwise
 */
export async function readChangeLogText(
  db: SqlClient,
  options: ChangeLogTextOptions,
): Promise<ChangeLogTextPage> {
  const { after, limit, select } = options;
  if (db.copyOut === undefined) {
    throw new CoreError('INVALID_ARGUMENT', 'readChangeLogText: this client has no copyOut');
  }
  if (select.length === 0) {
    throw new CoreError('INVALID_ARGUMENT', 'readChangeLogText: select at least one column');
  }
  const columns = select.map((expression) => `CASE WHEN l.fraiseql_text THEN (${expression}) END`);
  // The LEFT JOIN writes one line (the horizon, NULLs) when no row matched.
  const statement = `WITH hx AS MATERIALIZED (SELECT ${CHANGE_LOG_HORIZON} AS x)
    SELECT hx.x::text, l.transaction_id::text, l.pk_entity_change_log::text, l.fraiseql_text,
           ${columns.join(', ')}
    FROM hx LEFT JOIN LATERAL (
      SELECT l.*, coalesce((${options.when}), false) AS fraiseql_text
      FROM ${CHANGE_LOG_TABLE} l
      WHERE (l.transaction_id, l.pk_entity_change_log) > ($1::xid8, $2::bigint)
        AND l.transaction_id < hx.x
      ORDER BY l.transaction_id, l.pk_entity_change_log
      LIMIT $3::int
    ) l ON true`;
  const page = new PageSplitter(limit);
  for await (const chunk of db.copyOut(
    statement,
    [after.transactionId.toString(), after.seq.toString(), String(limit)],
    { signal: options.signal },
  )) {
    page.push(chunk);
  }
  return page.end(after);
}

/**
 * Finds the lines of a page as its chunks arrive and reads their prefix columns. Lines stay in
 * the chunks they arrived in (no copy of the page); only a line cut between chunks is copied.
 */
export class PageSplitter {
  readonly #buffers: Buffer[] = [];
  // Grown as rows come (a page size may be far above the rows there are).
  #starts = new Uint32Array(1024);
  #ends = new Uint32Array(1024);
  readonly #others: string[] = [];
  #rows = 0;
  #horizon: bigint | undefined;
  #lastBuffer: Buffer | undefined;
  #lastStart = 0;
  /** The start of a line cut at the end of the last chunk(s). */
  #carry: Buffer[] = [];

  constructor(readonly limit: number) {}

  push(chunk: Buffer): void {
    let start = 0;
    if (this.#carry.length > 0) {
      const newline = chunk.indexOf(NEWLINE);
      if (newline < 0) {
        this.#carry.push(chunk);
        return;
      }
      const line = Buffer.concat([...this.#carry, chunk.subarray(0, newline + 1)]);
      this.#carry = [];
      this.#line(line, 0, line.length - 1);
      start = newline + 1;
    }
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline < 0) break;
      this.#line(chunk, start, newline);
      start = newline + 1;
    }
    if (start < chunk.length) this.#carry.push(chunk.subarray(start));
  }

  end(after: ChangeLogPosition): ChangeLogTextPage {
    if (this.#carry.length > 0) throw malformed('a line without its newline');
    const horizon = this.#horizon;
    if (horizon === undefined) throw malformed('no lines');
    let last: ChangeLogPosition | undefined;
    const buffer = this.#lastBuffer;
    if (buffer !== undefined) {
      const start = this.#lastStart;
      const t1 = buffer.indexOf(TAB, start);
      const t2 = buffer.indexOf(TAB, t1 + 1);
      last = {
        transactionId: BigInt(buffer.toString('latin1', start, t1)),
        seq: BigInt(buffer.toString('latin1', t1 + 1, t2)),
      };
    }
    const admitted = this.#buffers.length;
    const full = this.#rows === this.limit;
    return {
      buffers: this.#buffers,
      starts: this.#starts.subarray(0, admitted),
      ends: this.#ends.subarray(0, admitted),
      others: this.#others,
      rows: this.#rows,
      next: pageEnd(after, horizon, full, last),
      full,
      horizon,
    };
  }

  /** One line: `text[start]` … the newline at `text[end]`. */
  #line(text: Buffer, start: number, end: number): void {
    const t1 = nextTab(text, start, end);
    const t2 = nextTab(text, t1 + 1, end);
    const t3 = nextTab(text, t2 + 1, end);
    const t4 = nextTab(text, t3 + 1, end);
    this.#horizon ??= BigInt(text.toString('latin1', start, t1));
    if (t3 + 2 !== t4) {
      // `\N`: the one line of an empty page.
      if (text[t1 + 1] !== 0x5c) throw malformed('a row without its admitted flag');
      return;
    }
    this.#rows += 1;
    if (this.#rows > this.limit) throw malformed('more rows than the limit');
    this.#lastBuffer = text;
    this.#lastStart = t1 + 1;
    if (text[t3 + 1] === 0x74 /* t */) {
      const row = this.#buffers.length;
      if (row === this.#starts.length) {
        const starts = new Uint32Array(row * 2);
        const ends = new Uint32Array(row * 2);
        starts.set(this.#starts);
        ends.set(this.#ends);
        this.#starts = starts;
        this.#ends = ends;
      }
      this.#buffers.push(text);
      this.#starts[row] = t4 + 1;
      this.#ends[row] = end + 1;
    } else {
      this.#others.push(text.toString('latin1', t2 + 1, t3));
    }
  }
}

/** The next tab of a line; each line starts with four columns: horizon, transaction, key, flag. */
function nextTab(text: Buffer, from: number, end: number): number {
  const tab = text.indexOf(TAB, from);
  if (tab < 0 || tab > end) throw malformed('a line with too few columns');
  return tab;
}

function malformed(what: string): CoreError {
  return new CoreError('DATABASE_ERROR', `readChangeLogText: the COPY text held ${what}`);
}
