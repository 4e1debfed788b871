import type { EntityEvent } from '../events/entity-event.js';
import { CoreError } from '../errors/core-error.js';
import type { SqlClient } from '../db/sql-client.js';
import type { ChangeLogRow } from './change-log-row.js';
import { changeLogRowToEvent, isDeliverableRow } from './change-log-row-to-event.js';
import { CHANGE_LOG_COLUMNS, CHANGE_LOG_TABLE, changeLogColumns } from './change-log-table.js';

const RANGE_COLUMNS = changeLogColumns('c');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A closed sequence range of the change log, for {@link readChangeLogRange}. */
export interface ChangeLogRange {
  /** First sequence, inclusive. */
  readonly from: bigint;
  /** Last sequence, inclusive. */
  readonly to: bigint;
  /**
   * Rows read per query.
   * @defaultValue 500
   */
  readonly pageSize?: number;
  /** Stops between pages. */
  readonly signal?: AbortSignal;
}

/**
 * One change-log row as an event, by event id (UUID) or sequence number; undefined when no row
 * has it or the row is a `NOOP`.
 *
 * @throws {CoreError} `INVALID_ARGUMENT` for a key that is neither a UUID nor a sequence.
 */
export async function readChangeLogEvent(
  db: SqlClient,
  key: string | bigint,
): Promise<EntityEvent | undefined> {
  const text = String(key);
  const column = UUID.test(text) ? 'id' : /^\d+$/.test(text) ? 'pk_entity_change_log' : undefined;
  if (column === undefined) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `readChangeLogEvent: expected an event UUID or a sequence number, got ${JSON.stringify(text)}`,
    );
  }
  const result = await db.query<ChangeLogRow>(
    `SELECT ${CHANGE_LOG_COLUMNS} FROM ${CHANGE_LOG_TABLE} WHERE ${column} = $1`,
    [text],
  );
  const row = result.rows[0];
  return row === undefined || !isDeliverableRow(row) ? undefined : changeLogRowToEvent(row);
}

/** How many events (rows other than `NOOP`) the change log holds in a sequence range. */
export async function countChangeLogRange(
  db: SqlClient,
  range: Pick<ChangeLogRange, 'from' | 'to'>,
): Promise<number> {
  const result = await db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM ${CHANGE_LOG_TABLE}
     WHERE pk_entity_change_log BETWEEN $1 AND $2 AND upper(modification_type) <> 'NOOP'`,
    [range.from.toString(), range.to.toString()],
  );
  return Number(result.rows[0]?.n ?? 0);
}

/**
 * The events of a sequence range in sequence order, read page by page (`NOOP` rows skipped), for
 * replaying or inspecting history. Rows committed later with a sequence inside the range appear
 * if they are visible when their page is read.
 *
 * @throws {CoreError} `INVALID_ARGUMENT` for a bad page size; the abort reason when `signal` aborts.
 */
export async function* readChangeLogRange(
  db: SqlClient,
  range: ChangeLogRange,
): AsyncGenerator<EntityEvent> {
  const pageSize = range.pageSize ?? 500;
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `readChangeLogRange: pageSize must be a positive integer, got ${String(pageSize)}`,
    );
  }
  let next = range.from;
  while (next <= range.to) {
    range.signal?.throwIfAborted();
    const result = await db.query<ChangeLogRow>(
      // Ordered by the table's bigint column: the select list casts it to text under the same
      // name, and an unqualified ORDER BY would sort that text (1, 10, 100, 2, …).
      `SELECT ${RANGE_COLUMNS} FROM ${CHANGE_LOG_TABLE} c
       WHERE c.pk_entity_change_log BETWEEN $1 AND $2
       ORDER BY c.pk_entity_change_log LIMIT $3`,
      [next.toString(), range.to.toString(), pageSize],
    );
    for (const row of result.rows) {
      next = BigInt(String(row.pk_entity_change_log)) + 1n;
      if (isDeliverableRow(row)) yield changeLogRowToEvent(row);
    }
    if (result.rows.length < pageSize) return;
  }
}
