import type { SqlClient } from '../db/sql-client.js';
import { CHANGE_LOG_HORIZON } from './change-log-horizon.js';
import type { ChangeLogRow } from './change-log-row.js';
import { CHANGE_LOG_TABLE, changeLogColumns } from './change-log-table.js';

/** A place in the change log in the order below the horizon: `(transaction id, sequence)`. */
export interface ChangeLogPosition {
  readonly transactionId: bigint;
  readonly seq: bigint;
}

/** Options of {@link readChangeLogPage}. */
export interface ChangeLogPageOptions {
  /** Rows strictly after this position are read. */
  readonly after: ChangeLogPosition;
  /** Most rows in the page. */
  readonly limit: number;
  /**
   * Extra conditions on the row alias `l`: push each value onto `params` and refer to it as
   * `$<params.length>`. @defaultValue none
   */
  readonly conditions?: ((params: unknown[]) => readonly string[]) | undefined;
  /** Extra select-list items on alias `l` (`… AS name`). @defaultValue none */
  readonly select?: string | undefined;
  /**
   * Also report whether committed rows wait at or above the horizon (an open transaction holds
   * them back). @defaultValue false
   */
  readonly probeHeldBack?: boolean | undefined;
  /** `created_at` as epoch milliseconds instead of a timestamp. @defaultValue false */
  readonly epochCreatedAt?: boolean | undefined;
}

/** One page of change-log rows below the visibility horizon. */
export interface ChangeLogPage<Row> {
  /** Matching rows, in `(transaction_id, seq)` order. */
  readonly rows: readonly Row[];
  /** Where the next read starts: after the last row, or at the horizon when the page ran out. */
  readonly next: ChangeLogPosition;
  /** True when the page was cut at the limit (more rows are waiting). */
  readonly full: boolean;
  /** The horizon the page was read below. */
  readonly horizon: bigint;
  /** With `probeHeldBack`: committed rows wait at or above the horizon. */
  readonly heldBack: boolean;
}

/**
 * Reads up to `limit` change-log rows after a position whose transaction is below the change
 * log's visibility horizon ({@link CHANGE_LOG_HORIZON}, the rule the observers' change-log
 * source claims by), in one statement, so the horizon and the rows come from one snapshot. A
 * row whose transaction commits late has a transaction id at or above the horizon of every
 * read made before it committed, so a later page returns it: a reader that follows `next`
 * never skips it, as a plain `seq >` cursor would. Tails, streams and consoles page with it.
 */
export async function readChangeLogPage<Row extends ChangeLogRow = ChangeLogRow>(
  db: SqlClient,
  options: ChangeLogPageOptions,
): Promise<ChangeLogPage<Row & { readonly transaction_id: string }>> {
  const { after, limit } = options;
  const params: unknown[] = [after.transactionId.toString(), after.seq.toString(), limit];
  const where = ['true', ...(options.conditions?.(params) ?? [])].join(' AND ');
  const select = options.select === undefined ? '' : `, ${options.select}`;
  // The horizon and the probe are computed once, in the CTE: in the select list the probe
  // would run once per returned row.
  const probe =
    options.probeHeldBack === true
      ? `EXISTS (SELECT 1 FROM ${CHANGE_LOG_TABLE} w WHERE w.transaction_id >= hx.x)`
      : 'false';
  const result = await db.query<
    Row & { transaction_id: string; horizon: string; held_back: boolean | null }
  >(
    `WITH hx AS MATERIALIZED (SELECT ${CHANGE_LOG_HORIZON} AS x),
     h AS MATERIALIZED (SELECT hx.x, ${probe} AS held_back FROM hx)
     SELECT h.x::text AS horizon, h.held_back, r.*
     FROM h LEFT JOIN LATERAL (
       SELECT ${changeLogColumns('l', { epochCreatedAt: options.epochCreatedAt === true })}${select}
       FROM ${CHANGE_LOG_TABLE} l
       WHERE (l.transaction_id, l.pk_entity_change_log) > ($1::xid8, $2::bigint)
         AND l.transaction_id < h.x AND ${where}
       ORDER BY l.transaction_id, l.pk_entity_change_log
       LIMIT $3
     ) r ON true`,
    params,
  );
  const first = result.rows[0];
  const horizon = BigInt(first?.horizon ?? '0');
  // The LEFT JOIN returns one row of nulls when no change-log row matched.
  const rows = result.rows.filter((row) => (row.pk_entity_change_log as unknown) !== null);
  const full = rows.length === limit;
  const last = rows.at(-1);
  const next = pageEnd(
    after,
    horizon,
    full,
    last === undefined
      ? undefined
      : {
          transactionId: BigInt(last.transaction_id),
          seq: BigInt(String(last.pk_entity_change_log)),
        },
  );
  return { rows, next, full, horizon, heldBack: first?.held_back === true };
}

/**
 * Where the read after a page starts: after its last row when the page was cut at its limit,
 * else at the horizon (every transaction below it has ended and each of its rows was read).
 */
export function pageEnd(
  after: ChangeLogPosition,
  horizon: bigint,
  full: boolean,
  last: ChangeLogPosition | undefined,
): ChangeLogPosition {
  if (full && last !== undefined) return last;
  if (horizon > after.transactionId) return { transactionId: horizon, seq: 0n };
  return last ?? after;
}
