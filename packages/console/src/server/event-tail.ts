import {
  CHANGE_LOG_HORIZON,
  CHANGE_LOG_TABLE,
  changeLogColumns,
  readChangeLogPage,
  type ChangeLogRow,
  type SqlClient,
} from '@fraiseql/core';
import { filterConditions, type EventFilter } from './event-filter.js';

/** Where a tail stands: after this (transaction, sequence) pair. */
export interface TailPosition {
  readonly transactionId: bigint;
  readonly seq: bigint;
}

/** A change-log row as the tail reads it. */
export interface TailRow extends ChangeLogRow {
  readonly transaction_id: string;
}

/** One read of the tail. */
export interface TailPage {
  readonly rows: readonly TailRow[];
  readonly next: TailPosition;
  /** True when the page was cut at the limit (more rows are waiting). */
  readonly full: boolean;
}

/** `"<transaction>.<seq>"`, the SSE event id a client sends back as `Last-Event-ID`. */
export function formatPosition(position: TailPosition): string {
  return `${position.transactionId.toString()}.${position.seq.toString()}`;
}

/** Reads a `Last-Event-ID`; undefined when it is not one this console wrote. */
export function parsePosition(text: string | undefined): TailPosition | undefined {
  const match = /^(\d{1,20})\.(\d{1,20})$/.exec(text ?? '');
  if (match === null) return undefined;
  return { transactionId: BigInt(match[1] ?? '0'), seq: BigInt(match[2] ?? '0') };
}

/**
 * The most recent `limit` matching events that are already below the change log's visibility
 * horizon (oldest first), and the position just at the horizon where the live tail continues:
 * both from one snapshot, so nothing falls between them.
 */
export async function readRecent(
  db: SqlClient,
  filter: EventFilter,
  limit: number,
): Promise<TailPage> {
  const params: unknown[] = [limit];
  const where = filterConditions(filter, params).join(' AND ');
  const result = await db.query<TailRow & { horizon: string }>(
    `WITH h AS MATERIALIZED (SELECT ${CHANGE_LOG_HORIZON} AS x)
     SELECT h.x::text AS horizon, r.*
     FROM h LEFT JOIN LATERAL (
       SELECT ${changeLogColumns('l')}
       FROM ${CHANGE_LOG_TABLE} l
       WHERE l.transaction_id < h.x AND ${where}
       ORDER BY l.transaction_id DESC, l.pk_entity_change_log DESC
       LIMIT $1
     ) r ON true`,
    params,
  );
  const horizon = BigInt(result.rows[0]?.horizon ?? '0');
  const rows = result.rows.filter((row) => (row.pk_entity_change_log as unknown) !== null);
  return { rows: rows.reverse(), next: { transactionId: horizon, seq: 0n }, full: false };
}

/**
 * Reads up to `limit` matching rows after `position` below the change log's visibility horizon
 * (core's `readChangeLogPage`, the rule the observers' change-log source claims by), in
 * `(transaction, seq)` order. A row whose transaction commits late is above the horizon of
 * every read made before it committed, so a later read returns it: the tail never skips it, as
 * a plain `seq >` cursor would.
 */
export async function readTail(
  db: SqlClient,
  position: TailPosition,
  filter: EventFilter,
  limit: number,
): Promise<TailPage> {
  const page = await readChangeLogPage(db, {
    after: position,
    limit,
    conditions: (params) => filterConditions(filter, params),
  });
  return { rows: page.rows, next: page.next, full: page.full };
}
