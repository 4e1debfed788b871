import type { JoinStep, ProjectionPlan, SourceLineage } from '../plan/projection-plan.js';
import { objectName } from '../sql/object-name.js';
import { literal, qi, qn, type SqlName } from '../sql/sql-name.js';
import { dropUnusedLockTriggersSql, lockTriggerSql } from './projection-lock.js';

const NEW_ROWS = 'fraiseql_new_rows';
const OLD_ROWS = 'fraiseql_old_rows';

/** Trigger and function names of one projection. */
export interface TriggerNames {
  /** The projection table (`tv_user`); trigger names start with it so they fire in name order. */
  readonly projection: SqlName;
  readonly refreshFn: SqlName;
  readonly rebuildFn: SqlName;
}

/** `SELECT <root id> FROM <rows> JOIN ...` following one lineage path. */
/**
 * `SELECT <root id> FROM <changed keys> JOIN ...` following one lineage path. The keys the first
 * join needs are deduplicated across the old and new images before joining.
 */
function idsThroughPath(
  plan: ProjectionPlan,
  rows: readonly string[],
  path: readonly JoinStep[],
): string {
  const first = path[0];
  const keys = (first === undefined ? [plan.rootIdColumn] : first.on.map(([from]) => from))
    .map(qi)
    .join(', ');
  const changed =
    rows.length === 1
      ? (rows[0] ?? '')
      : `(${rows.map((table) => `SELECT ${keys} FROM ${table}`).join(' UNION ')})`;
  const joins = path.map((step, index) => {
    const alias = `j${index + 1}`;
    const previous = index === 0 ? 't' : `j${index}`;
    const on = step.on.map(([from, to]) => `${alias}.${qi(to)} = ${previous}.${qi(from)}`);
    return `JOIN ${qn(step.table)} AS ${alias} ON ${on.join(' AND ')}`;
  });
  const last = path.length === 0 ? 't' : `j${path.length}`;
  return [`SELECT ${last}.${qi(plan.rootIdColumn)} FROM ${changed} AS t`, ...joins].join(' ');
}

function idsFrom(plan: ProjectionPlan, source: SourceLineage, rows: readonly string[]): string {
  return source.paths.map((path) => idsThroughPath(plan, rows, path)).join('\n      UNION ');
}

function sourceFunctionName(names: TriggerNames, source: SourceLineage): SqlName {
  return {
    schema: names.projection.schema,
    name: objectName(names.projection.name, '__from_', source.table.name),
  };
}

function rebuildTriggerFn(names: TriggerNames): SqlName {
  return { schema: names.projection.schema, name: objectName(names.projection.name, '__rebuild') };
}

function triggerName(names: TriggerNames, suffix: string): string {
  return objectName(names.projection.name, suffix);
}

/**
 * Statement-level triggers with transition tables on every source table: each maps the changed
 * rows (old and new images) through the foreign-key lineage to document ids and calls the
 * refresh function once per statement. TRUNCATE, and any change to a table without lineage,
 * rebuilds the projection. Source tables and the plan's lock tables get the projection lock
 * trigger. Functions of tables that are no longer sources are dropped.
 */
export function refreshTriggersSql(plan: ProjectionPlan, names: TriggerNames): string {
  const rebuildTrigger = rebuildTriggerFn(names);
  const parts: string[] = [
    `CREATE OR REPLACE FUNCTION ${qn(rebuildTrigger)}()
RETURNS trigger
LANGUAGE plpgsql
AS $fn$
BEGIN
  PERFORM ${qn(names.rebuildFn)}();
  RETURN NULL;
END
$fn$;`,
  ];
  const keep: string[] = [rebuildTrigger.name];
  for (const table of plan.lockTables ?? [])
    parts.push(lockTriggerSql(names.projection.schema, table));
  for (const source of plan.sources) {
    const table = qn(source.table);
    parts.push(lockTriggerSql(names.projection.schema, source.table));
    const drops = ['__ins', '__upd', '__del', '__trunc', '__any']
      .map((suffix) => `DROP TRIGGER IF EXISTS ${qi(triggerName(names, suffix))} ON ${table};`)
      .join('\n');
    parts.push(drops);
    if (source.fullRefresh) {
      parts.push(`CREATE TRIGGER ${qi(triggerName(names, '__any'))}
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table}
FOR EACH STATEMENT EXECUTE FUNCTION ${qn(rebuildTrigger)}();`);
      continue;
    }
    const fn = sourceFunctionName(names, source);
    keep.push(fn.name);
    parts.push(`CREATE OR REPLACE FUNCTION ${qn(fn)}()
RETURNS trigger
LANGUAGE plpgsql
AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM ${qn(names.refreshFn)}(ARRAY(
      ${idsFrom(plan, source, [NEW_ROWS])}));
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM ${qn(names.refreshFn)}(ARRAY(
      ${idsFrom(plan, source, [NEW_ROWS, OLD_ROWS])}));
  ELSE
    PERFORM ${qn(names.refreshFn)}(ARRAY(
      ${idsFrom(plan, source, [OLD_ROWS])}));
  END IF;
  RETURN NULL;
END
$fn$;

CREATE TRIGGER ${qi(triggerName(names, '__ins'))}
AFTER INSERT ON ${table} REFERENCING NEW TABLE AS ${NEW_ROWS}
FOR EACH STATEMENT EXECUTE FUNCTION ${qn(fn)}();
CREATE TRIGGER ${qi(triggerName(names, '__upd'))}
AFTER UPDATE ON ${table} REFERENCING OLD TABLE AS ${OLD_ROWS} NEW TABLE AS ${NEW_ROWS}
FOR EACH STATEMENT EXECUTE FUNCTION ${qn(fn)}();
CREATE TRIGGER ${qi(triggerName(names, '__del'))}
AFTER DELETE ON ${table} REFERENCING OLD TABLE AS ${OLD_ROWS}
FOR EACH STATEMENT EXECUTE FUNCTION ${qn(fn)}();
CREATE TRIGGER ${qi(triggerName(names, '__trunc'))}
AFTER TRUNCATE ON ${table}
FOR EACH STATEMENT EXECUTE FUNCTION ${qn(rebuildTrigger)}();`);
  }
  parts.push(`-- Tables that stopped being sources keep no triggers: drop their functions (and triggers).
DO $do$
DECLARE
  v_fn regprocedure;
BEGIN
  FOR v_fn IN
    SELECT p.oid::regprocedure
    FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
    WHERE n.nspname = ${literal(names.projection.schema)}
      AND p.proname LIKE ${literal(`${names.projection.name.replace(/_/g, '\\_')}\\_\\_%`)}
      AND p.proname <> ALL (ARRAY[${keep.map(literal).join(', ')}]::text[])
      AND p.prorettype = 'trigger'::regtype
  LOOP
    EXECUTE format('DROP FUNCTION %s CASCADE', v_fn);
  END LOOP;
END
$do$;`);
  parts.push(dropUnusedLockTriggersSql(names.projection.schema));
  return parts.join('\n\n');
}

/** Drops every trigger function of the projection and, with them, its triggers. */
export function dropTriggersSql(names: TriggerNames): string {
  return `DO $do$
DECLARE
  v_fn regprocedure;
BEGIN
  FOR v_fn IN
    SELECT p.oid::regprocedure
    FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
    WHERE n.nspname = ${literal(names.projection.schema)}
      AND p.proname LIKE ${literal(`${names.projection.name.replace(/_/g, '\\_')}\\_\\_%`)}
      AND p.prorettype = 'trigger'::regtype
  LOOP
    EXECUTE format('DROP FUNCTION %s CASCADE', v_fn);
  END LOOP;
END
$do$;`;
}
