import { literal, plainName, qn, type SqlName } from '../sql/sql-name.js';

/** The table where projections register themselves and record their full refreshes. */
export function stateTableName(schema: string): SqlName {
  return { schema, name: 'fraiseql_projection_state' };
}

/** Creates the state table when missing. */
export function stateTableSql(schema: string): string {
  const table = qn(stateTableName(schema));
  return `CREATE TABLE IF NOT EXISTS ${table} (
  projection text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('tv', 'ta')),
  source_view text NOT NULL,
  refresh_mode text NOT NULL CHECK (refresh_mode IN ('trigger', 'scheduled', 'manual')),
  change_column text NOT NULL,
  last_refresh_at timestamptz,
  last_refresh_ms bigint,
  last_refresh_rows bigint,
  registered_at timestamptz NOT NULL DEFAULT now(),
  lock_tables text[] NOT NULL DEFAULT '{}'
);
ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS lock_tables text[] NOT NULL DEFAULT '{}';`;
}

/**
 * Registers (or updates) one projection in the state table, with the lock tables its triggers
 * need (`qn` form, as `regclass` input).
 */
export function registerProjectionSql(
  table: SqlName,
  kind: 'tv' | 'ta',
  view: SqlName,
  mode: 'trigger' | 'scheduled' | 'manual',
  changeColumn: string,
  lockTables: readonly SqlName[] = [],
): string {
  const locks = `ARRAY[${lockTables.map((t) => literal(qn(t))).join(', ')}]::text[]`;
  return `INSERT INTO ${qn(stateTableName(table.schema))} (projection, kind, source_view, refresh_mode, change_column, lock_tables)
VALUES (${[plainName(table), kind, plainName(view), mode, changeColumn].map(literal).join(', ')}, ${locks})
ON CONFLICT (projection) DO UPDATE
SET kind = excluded.kind, source_view = excluded.source_view,
    refresh_mode = excluded.refresh_mode, change_column = excluded.change_column,
    lock_tables = excluded.lock_tables;`;
}

/** Removes one projection from the state table, when the table exists. */
export function unregisterProjectionSql(table: SqlName): string {
  return `DO $do$
BEGIN
  IF to_regclass(${literal(qn(stateTableName(table.schema)))}) IS NOT NULL THEN
    DELETE FROM ${qn(stateTableName(table.schema))} WHERE projection = ${literal(plainName(table))};
  END IF;
END
$do$;`;
}
