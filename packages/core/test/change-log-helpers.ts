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

/**
 * Opens a transaction on `client`, runs `write` in it and keeps it open: resolves once the
 * write is done, with `commit()` to let the transaction finish (resolves when it committed).
 */
export async function holdOpen(
  client: SqlClient,
  write: (tx: SqlClient) => Promise<unknown>,
): Promise<{ commit(): Promise<void> }> {
  let release: () => void = () => undefined;
  const blocked = new Promise<void>((resolve) => (release = resolve));
  let written: () => void = () => undefined;
  const wrote = new Promise<void>((resolve) => (written = resolve));
  const done = client.transaction(async (tx) => {
    await write(tx);
    written();
    await blocked;
  });
  await Promise.race([wrote, done]);
  return {
    commit: () => {
      release();
      return done;
    },
  };
}
