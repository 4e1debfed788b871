import { DdlGenError } from '../errors.js';
import type { ProjectionPlan } from '../plan/projection-plan.js';
import { isSqlTypeName, objectName } from '../sql/object-name.js';
import { qn, type SqlName } from '../sql/sql-name.js';
import type { GeneratedDdl } from './generated-ddl.js';
import { dropUnusedLockTriggersSql } from './projection-lock.js';
import { dropTriggersSql } from './refresh-triggers.js';
import { unregisterProjectionSql } from './state-table.js';

/** Names of the table and functions of a table-backed projection (`tv_` or `ta_`). */
export interface TableProjectionNames {
  readonly table: SqlName;
  readonly refreshFn: SqlName;
  readonly rebuildFn: SqlName;
  readonly checkFn: SqlName;
}

/** The names of `{prefix}_{entity}` and its `refresh_`, `rebuild_` and `check_` functions. */
export function tableProjectionNames(
  plan: ProjectionPlan,
  prefix: 'tv' | 'ta',
): { table: SqlName; refreshFn: SqlName; rebuildFn: SqlName; checkFn: SqlName } {
  const table = `${prefix}_${plan.entity}`;
  const at = (name: string): SqlName => ({ schema: plan.schema, name: objectName(name) });
  return {
    table: at(table),
    refreshFn: at(`refresh_${table}`),
    rebuildFn: at(`rebuild_${table}`),
    checkFn: at(`check_${table}`),
  };
}

/**
 * Rejects a plan whose id type is not an SQL type name (it is spliced into DDL).
 *
 * @throws {DdlGenError} `INVALID_ARGUMENT` when the plan's id type is not a type name.
 */
export function assertIdType(plan: ProjectionPlan): void {
  if (!isSqlTypeName(plan.idType)) {
    throw new DdlGenError(
      'INVALID_ARGUMENT',
      `idType: ${JSON.stringify(plan.idType)} is not an SQL type name`,
    );
  }
}

/** What {@link tableProjectionDdl} assembles into a {@link GeneratedDdl}. */
export interface TableProjectionParts {
  readonly plan: ProjectionPlan;
  readonly names: TableProjectionNames;
  /** The create script's parts, in order; empty parts are left out. */
  readonly sql: readonly string[];
  /** Statements the drop script runs before dropping the triggers, functions and table. */
  readonly dropFirst?: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Assembles the create script from its parts and the drop script shared by every table-backed
 * projection: triggers, the registration, unused lock triggers, the three functions, the table.
 */
export function tableProjectionDdl(parts: TableProjectionParts): GeneratedDdl {
  const { plan, names } = parts;
  const dropSql = [
    ...(parts.dropFirst ?? []),
    dropTriggersSql({
      projection: names.table,
      refreshFn: names.refreshFn,
      rebuildFn: names.rebuildFn,
    }),
    // Unregistered first, so its lock tables no longer keep their lock triggers.
    unregisterProjectionSql(names.table),
    dropUnusedLockTriggersSql(plan.schema),
    `DROP FUNCTION IF EXISTS ${qn(names.refreshFn)}(${plan.idType}[]);`,
    `DROP FUNCTION IF EXISTS ${qn(names.rebuildFn)}();`,
    `DROP FUNCTION IF EXISTS ${qn(names.checkFn)}();`,
    `DROP TABLE IF EXISTS ${qn(names.table)};`,
  ];
  return {
    name: names.table.name,
    sql: `${parts.sql
      .map((part) => part.trim())
      .filter((part) => part !== '')
      .join('\n\n')}\n`,
    dropSql: `${dropSql.join('\n\n')}\n`,
    warnings: parts.warnings,
  };
}
