import {
  CHANGE_LOG_COLUMNS,
  CHANGE_LOG_TABLE,
  changeLogRowToEvent,
  isDeliverableRow,
  type ChangeLogRow,
  type EntityEvent,
  type SqlClient,
} from '@fraiseql/core';
import { CliError } from '../errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One change-log row as an event, by event id (UUID) or sequence number.
 *
 * @throws {CliError} `USAGE` for an id that is neither, `NOT_FOUND` when no row has it.
 */
export async function readChangeLogEvent(db: SqlClient, id: string): Promise<EntityEvent> {
  let column: string;
  if (UUID.test(id)) column = 'id';
  else if (/^\d+$/.test(id)) column = 'pk_entity_change_log';
  else
    throw new CliError(
      'USAGE',
      `--id must be an event UUID or a sequence number, got ${JSON.stringify(id)}`,
    );
  const result = await db.query<ChangeLogRow>(
    `SELECT ${CHANGE_LOG_COLUMNS} FROM ${CHANGE_LOG_TABLE} WHERE ${column} = $1`,
    [id],
  );
  const row = result.rows[0];
  if (row === undefined) throw new CliError('NOT_FOUND', `no change-log row with ${column} ${id}`);
  return changeLogRowToEvent(row);
}

/** The number of change-log events (rows other than `NOOP`) with a sequence in `[from, to]`. */
export async function countChangeLogRange(
  db: SqlClient,
  from: bigint,
  to: bigint,
): Promise<number> {
  const result = await db.query<{ n: string | number }>(
    `SELECT count(*)::text AS n FROM ${CHANGE_LOG_TABLE} WHERE pk_entity_change_log BETWEEN $1 AND $2
       AND upper(modification_type) <> 'NOOP'`,
    [from.toString(), to.toString()],
  );
  return Number(result.rows[0]?.n ?? 0);
}

/** Change-log events with a sequence in `[from, to]`, in sequence order, read in pages (`NOOP` rows skipped). */
export async function* readChangeLogRange(
  db: SqlClient,
  from: bigint,
  to: bigint,
  pageSize = 500,
): AsyncGenerator<EntityEvent> {
  let next = from;
  for (;;) {
    const result = await db.query<ChangeLogRow>(
      `SELECT ${CHANGE_LOG_COLUMNS} FROM ${CHANGE_LOG_TABLE}
       WHERE pk_entity_change_log BETWEEN $1 AND $2
       ORDER BY pk_entity_change_log LIMIT $3`,
      [next.toString(), to.toString(), pageSize],
    );
    for (const row of result.rows) {
      next = BigInt(String(row.pk_entity_change_log)) + 1n;
      if (isDeliverableRow(row)) yield changeLogRowToEvent(row);
    }
    if (result.rows.length < pageSize) return;
  }
}
