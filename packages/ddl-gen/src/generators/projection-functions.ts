import type { ProjectionPlan } from '../plan/projection-plan.js';
import { literal, plainName, qi, qn, type SqlName } from '../sql/sql-name.js';
import { DOCUMENT_LATERAL, documentRowsSql } from './document-rows.js';
import { documentSettingsSql } from './document-settings.js';
import { projectionLockFn } from './projection-lock.js';

/** What differs between the `tv_` and `ta_` refresh functions. */
export interface ProjectionShape {
  readonly plan: ProjectionPlan;
  readonly table: SqlName;
  /** Non-id columns of the table, in order. */
  readonly columns: readonly string[];
  /**
   * Select list producing `id` then `columns`, over the rows of `documentRowsSql`: the view row
   * `s` and its document `v.data`.
   */
  readonly select: string;
  /** Column stamped with `now()` when a row changes. */
  readonly touchedColumn: string;
  readonly refreshFn: SqlName;
  readonly rebuildFn: SqlName;
  readonly checkFn: SqlName;
  /** State table the rebuild records its runs in. */
  readonly stateTable: SqlName;
}

/** `(a.x, a.y)` for the given alias, or the single column without parentheses. */
function tuple(alias: string, columns: readonly string[]): string {
  const list = columns.map((column) => `${alias}.${qi(column)}`);
  return list.length === 1 ? (list[0] ?? '') : `ROW(${list.join(', ')})`;
}

function conflictClause(shape: ProjectionShape): string {
  const { columns } = shape;
  return columns.length === 0
    ? 'DO NOTHING'
    : `DO UPDATE SET ${[...columns.map((c) => `${qi(c)} = excluded.${qi(c)}`), `${qi(shape.touchedColumn)} = now()`].join(', ')}
    WHERE ${tuple('p', columns)} IS DISTINCT FROM ${tuple('excluded', columns)}`;
}

/** Upsert of the rows of a CTE that has the table's columns. */
function upsertFrom(shape: ProjectionShape, cte: string): string {
  const all = ['id', ...shape.columns].map(qi).join(', ');
  return `INSERT INTO ${qn(shape.table)} AS p (${all})
    SELECT ${all} FROM ${cte}
    ON CONFLICT (id) ${conflictClause(shape)}`;
}

/** Upsert of every document of the view (the rebuild). */
function upsertAll(shape: ProjectionShape): string {
  const all = ['id', ...shape.columns].map(qi).join(', ');
  return `INSERT INTO ${qn(shape.table)} AS p (${all})
  SELECT ${shape.select}
  FROM ${documentRowsSql(shape.plan.view)}
  ON CONFLICT (id) ${conflictClause(shape)}`;
}

/**
 * The refresh (by ids), full rebuild and divergence-check functions of a projection table. Both
 * writers take the schema's projection lock first (see `projectionLockSql`) and compute
 * documents in a statement that starts after it is held, so under READ COMMITTED they read every
 * change committed before them; the upsert skips documents that did not change. All three run
 * with the settings of `DOCUMENT_SETTINGS`, so the caller's session cannot change a document.
 */
export function projectionFunctionsSql(shape: ProjectionShape): string {
  const { table, plan } = shape;
  const idType = plan.idType;
  const divergence = `CASE WHEN p.id IS NULL THEN 'missing' WHEN f.id IS NULL THEN 'extra' ELSE 'different' END`;
  const settings = documentSettingsSql();
  const differs =
    shape.columns.length === 0
      ? 'false'
      : `${tuple('p', shape.columns)} IS DISTINCT FROM ${tuple('f', shape.columns)}`;
  return `CREATE OR REPLACE FUNCTION ${qn(shape.refreshFn)}(p_ids ${idType}[])
RETURNS integer
LANGUAGE plpgsql
VOLATILE
${settings}
AS $fn$
DECLARE
  v_upserted integer;
  v_deleted integer;
BEGIN
  IF p_ids IS NULL OR cardinality(p_ids) = 0 THEN
    RETURN 0;
  END IF;
  PERFORM ${qn(projectionLockFn(table.schema))}();
  -- Documents are computed once; ids the view no longer returns are deleted without scanning it.
  WITH fresh AS MATERIALIZED (
    SELECT ${shape.select}
    FROM (SELECT DISTINCT k.id FROM unnest(p_ids) AS k (id)) AS k
    JOIN ${qn(plan.view)} AS s ON s.id = k.id
    ${DOCUMENT_LATERAL}
  ), upserted AS (
    ${upsertFrom(shape, 'fresh')}
    RETURNING 1
  ), deleted AS (
    DELETE FROM ${qn(table)} AS p
    WHERE p.id = ANY (p_ids) AND NOT EXISTS (SELECT 1 FROM fresh WHERE fresh.id = p.id)
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM upserted), (SELECT count(*) FROM deleted)
  INTO v_upserted, v_deleted;
  RETURN v_upserted + v_deleted;
END
$fn$;

COMMENT ON FUNCTION ${qn(shape.refreshFn)}(${idType}[]) IS ${literal(`Recomputes the ${table.name} rows of the given ids from ${plainName(plan.view)}; returns the number of rows written or deleted.`)};

CREATE OR REPLACE FUNCTION ${qn(shape.rebuildFn)}()
RETURNS integer
LANGUAGE plpgsql
VOLATILE
${settings}
AS $fn$
DECLARE
  v_started timestamptz := clock_timestamp();
  v_upserted integer;
  v_deleted integer;
BEGIN
  PERFORM ${qn(projectionLockFn(table.schema))}();
  ${upsertAll(shape)};
  GET DIAGNOSTICS v_upserted = ROW_COUNT;
  DELETE FROM ${qn(table)} AS p
  WHERE NOT EXISTS (SELECT 1 FROM ${qn(plan.view)} AS v WHERE v.id = p.id);
  GET DIAGNOSTICS v_deleted = ROW_COUNT;
  UPDATE ${qn(shape.stateTable)}
  SET last_refresh_at = now(),
      last_refresh_ms = (extract(epoch FROM clock_timestamp() - v_started) * 1000)::bigint,
      last_refresh_rows = v_upserted + v_deleted
  WHERE projection = ${literal(plainName(table))};
  RETURN v_upserted + v_deleted;
END
$fn$;

COMMENT ON FUNCTION ${qn(shape.rebuildFn)}() IS ${literal(`Brings all of ${table.name} up to date with ${plainName(plan.view)}; returns the number of rows written or deleted.`)};

CREATE OR REPLACE FUNCTION ${qn(shape.checkFn)}()
RETURNS TABLE (entity_id ${idType}, problem text)
LANGUAGE sql
STABLE
${settings}
AS $fn$
  SELECT coalesce(p.id, f.id), ${divergence}
  FROM ${qn(table)} AS p
  FULL JOIN (SELECT ${shape.select} FROM ${documentRowsSql(plan.view)}) AS f ON f.id = p.id
  WHERE p.id IS NULL OR f.id IS NULL OR ${differs}
$fn$;

COMMENT ON FUNCTION ${qn(shape.checkFn)}() IS ${literal(`Rows where ${table.name} differs from ${plainName(plan.view)}: missing, extra or different; empty when in sync.`)};
`;
}
