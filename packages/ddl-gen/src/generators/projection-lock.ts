import { objectName } from '../sql/object-name.js';
import { literal, qi, qn, type SqlName } from '../sql/sql-name.js';
import { stateTableName } from './state-table.js';

/** The function every refresh calls first; it takes the schema's projection lock. */
export function projectionLockFn(schema: string): SqlName {
  return { schema, name: 'fraiseql_projection_lock' };
}

function lockTriggerFn(schema: string): SqlName {
  return { schema, name: 'fraiseql_projection_lock_trigger' };
}

/** Name of the BEFORE trigger on source tables; one per projection schema, fired in name order. */
export function lockTriggerName(schema: string): string {
  return objectName('fraiseql_lock_', schema);
}

/**
 * The projection lock: one transaction-scoped advisory lock per schema of projections, taken by
 * a BEFORE statement trigger on every source table, that is before the statement locks or
 * changes any row. Holding it until commit makes refreshes of a schema's projections run one
 * transaction at a time, so a refresh always reads every change committed before it (the
 * foreign-key lineage of a concurrent writer included), and because it is a single lock taken
 * ahead of any row lock, writers and projections cannot deadlock on it.
 */
export function projectionLockSql(schema: string): string {
  const key = literal(`fraiseql projections ${schema}`);
  return `CREATE OR REPLACE FUNCTION ${qn(projectionLockFn(schema))}()
RETURNS void
LANGUAGE sql
VOLATILE
AS $fn$
  SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))
$fn$;

CREATE OR REPLACE FUNCTION ${qn(lockTriggerFn(schema))}()
RETURNS trigger
LANGUAGE plpgsql
AS $fn$
BEGIN
  PERFORM ${qn(projectionLockFn(schema))}();
  RETURN NULL;
END
$fn$;`;
}

/** Installs the BEFORE statement lock trigger on a source table unless it is there. */
export function lockTriggerSql(schema: string, table: SqlName): string {
  const name = lockTriggerName(schema);
  return `DO $do$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_trigger
    WHERE tgrelid = ${literal(qn(table))}::regclass AND tgname = ${literal(name)}
  ) THEN
    CREATE TRIGGER ${qi(name)}
    BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${qn(table)}
    FOR EACH STATEMENT EXECUTE FUNCTION ${qn(lockTriggerFn(schema))}();
  END IF;
END
$do$;`;
}

/**
 * Removes the schema's lock trigger from every table where no projection trigger of the schema is
 * left (after a projection is dropped, or stops reading a table) and that no trigger-maintained
 * projection registered in the schema's state table lists among its lock tables.
 */
export function dropUnusedLockTriggersSql(schema: string): string {
  const name = lockTriggerName(schema);
  const state = qn(stateTableName(schema));
  return `DO $do$
DECLARE
  v_table regclass;
  v_locked regclass[] := '{}';
BEGIN
  IF to_regclass(${literal(state)}) IS NOT NULL THEN
    SELECT coalesce(array_agg(to_regclass(t)), '{}') INTO v_locked
    FROM ${state} AS s, unnest(s.lock_tables) AS t
    WHERE s.refresh_mode = 'trigger' AND to_regclass(t) IS NOT NULL;
  END IF;
  FOR v_table IN
    SELECT l.tgrelid::regclass FROM pg_trigger AS l
    WHERE l.tgname = ${literal(name)}
      AND l.tgrelid::regclass <> ALL (v_locked)
      AND NOT EXISTS (
        SELECT 1 FROM pg_trigger AS t
        JOIN pg_proc AS p ON p.oid = t.tgfoid
        JOIN pg_namespace AS n ON n.oid = p.pronamespace
        WHERE t.tgrelid = l.tgrelid AND n.nspname = ${literal(schema)}
          AND p.proname ~ '^t[av]_.*__(from_|rebuild)'
      )
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', ${literal(name)}, v_table);
  END LOOP;
END
$do$;`;
}
