import {
  CHANGE_LOG_COLUMNS,
  changeLogRowToEvent,
  type ChangeLogRow,
  type EntityEvent,
  type SqlClient,
} from '../src/index.js';

/** The change-log rows of one entity type, in sequence order. */
export async function changeLogRows(db: SqlClient, entityType: string): Promise<ChangeLogRow[]> {
  const result = await db.query<ChangeLogRow>(
    `SELECT ${CHANGE_LOG_COLUMNS} FROM core.tb_entity_change_log
      WHERE object_type = $1 ORDER BY pk_entity_change_log`,
    [entityType],
  );
  return result.rows;
}

/** The events of one entity type, in sequence order. */
export async function changeLogEvents(db: SqlClient, entityType: string): Promise<EntityEvent[]> {
  return (await changeLogRows(db, entityType)).map(changeLogRowToEvent);
}

/** Runs `fn` in a transaction with `fraiseql.*` settings applied to it only. */
export async function withSettings<T>(
  db: SqlClient,
  settings: Readonly<Record<string, string>>,
  fn: (tx: SqlClient) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    for (const [name, value] of Object.entries(settings)) {
      await tx.query('SELECT set_config($1, $2, true)', [name, value]);
    }
    return fn(tx);
  });
}
