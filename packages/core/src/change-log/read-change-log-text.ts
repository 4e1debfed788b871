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
   * The page as PostgreSQL's COPY text format writes it: one line per row, columns separated
   * by tabs, `\N` for NULL, backslash, tab, newline, carriage return, backspace, form feed and
   * vertical tab escaped with a backslash. Address the admitted rows with `starts`/`ends`.
   */
  readonly text: Buffer;
  /** Admitted rows, in change-log order: where each row's `select` columns start in `text`. */
  readonly starts: Uint32Array;
  /** For each admitted row: the offset just past its newline. */
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
  const chunks: Buffer[] = [];
  for await (const chunk of db.copyOut(
    statement,
    [after.transactionId.toString(), after.seq.toString(), String(limit)],
    { signal: options.signal },
  )) {
    chunks.push(chunk);
  }
  const [only] = chunks;
  const text = chunks.length === 1 && only !== undefined ? only : Buffer.concat(chunks);
  return splitPage(text, after, limit);
}

/** Finds the lines of a page and reads their prefix columns. */
function splitPage(text: Buffer, after: ChangeLogPosition, limit: number): ChangeLogTextPage {
  const starts = new Uint32Array(limit);
  const ends = new Uint32Array(limit);
  const others: string[] = [];
  let admitted = 0;
  let rows = 0;
  let horizon: bigint | undefined;
  let last: ChangeLogPosition | undefined;
  let lastStart = -1;
  for (let start = 0; start < text.length;) {
    const end = text.indexOf(NEWLINE, start);
    if (end < 0) throw malformed('a line without its newline');
    const t1 = nextTab(text, start, end);
    const t2 = nextTab(text, t1 + 1, end);
    const t3 = nextTab(text, t2 + 1, end);
    const t4 = nextTab(text, t3 + 1, end);
    horizon ??= BigInt(text.toString('latin1', start, t1));
    const flag = text[t3 + 1];
    if (t3 + 2 !== t4) {
      // `\N`: the one line of an empty page.
      if (text[t1 + 1] !== 0x5c) throw malformed('a row without its admitted flag');
    } else {
      rows += 1;
      if (rows > limit) throw malformed('more rows than the limit');
      lastStart = t1 + 1;
      if (flag === 0x74 /* t */) {
        starts[admitted] = t4 + 1;
        ends[admitted] = end + 1;
        admitted += 1;
      } else {
        others.push(text.toString('latin1', t2 + 1, t3));
      }
    }
    start = end + 1;
  }
  if (lastStart >= 0) {
    const t1 = text.indexOf(TAB, lastStart);
    const t2 = text.indexOf(TAB, t1 + 1);
    last = {
      transactionId: BigInt(text.toString('latin1', lastStart, t1)),
      seq: BigInt(text.toString('latin1', t1 + 1, t2)),
    };
  }
  if (horizon === undefined) throw malformed('no lines');
  const full = rows === limit;
  return {
    text,
    starts: starts.subarray(0, admitted),
    ends: ends.subarray(0, admitted),
    others,
    rows,
    next: pageEnd(after, horizon, full, last),
    full,
    horizon,
  };
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
