import type { SqlClient } from '@fraiseql/core';
import { DdlGenError } from '../errors.js';
import { projectionLockFn } from '../generators/projection-lock.js';
import { resolveEntity, snakeCase } from '../schema/resolve-entity.js';
import type { SchemaDocument } from '../schema/schema-document.js';
import { graphqlSqlType } from '../sql/graphql-sql-type.js';
import { identifier, plainName, qn, sqlName, type SqlName } from '../sql/sql-name.js';
import { introspectView, type ViewIntrospection } from './introspect-view.js';
import { lineagePaths } from './lineage-paths.js';
import type {
  PlannedField,
  ProjectionPlan,
  SourceIndex,
  SourceLineage,
} from './projection-plan.js';

/** Options of {@link planProjection}. */
export interface PlanProjectionOptions {
  /** A live database to read the view's columns, source tables and foreign keys from. */
  readonly db?: SqlClient | undefined;
  /**
   * Schema of the generated objects and of unqualified names.
   * @defaultValue 'public'
   */
  readonly schema?: string | undefined;
  /**
   * The table whose `rootIdColumn` is the document id.
   * @defaultValue `tb_{entity}`
   */
  readonly rootTable?: string | undefined;
  /**
   * Column of the root table that the view exposes as `id`.
   * @defaultValue 'id'
   */
  readonly rootIdColumn?: string | undefined;
  /**
   * SQL type of the view's `id` when there is no database to read it from.
   * @defaultValue 'uuid'
   */
  readonly idType?: string | undefined;
  /**
   * Column type of GraphQL `ID` fields in `va_`/`ta_`.
   * @defaultValue 'uuid'
   */
  readonly graphqlIdType?: 'uuid' | 'text' | undefined;
  /**
   * Longest foreign-key path followed from a source table to the root table.
   * @defaultValue 4
   */
  readonly maxDepth?: number | undefined;
  /**
   * Create missing indexes on the source-table columns the refresh path joins on.
   * @defaultValue true
   */
  readonly createSourceIndexes?: boolean | undefined;
  /**
   * Tables the projection does not read that your transactions write before their first write
   * to a source table (a payment or audit table, say). Their writes take the projection lock
   * first, as source tables' writes do, so such transactions keep the lock order and cannot
   * deadlock with other writers of the source tables (see the writers' rule in the README).
   * `name` or `schema.name`.
   * @defaultValue []
   */
  readonly lockTables?: readonly string[] | undefined;
}

/**
 * Builds the {@link ProjectionPlan} of one entity: its view and typed fields from the schema
 * and, with `db`, every base table the view reads with the foreign-key lineage that maps a
 * changed row to the documents it appears in.
 *
 * @throws {DdlGenError} `UNKNOWN_ENTITY`, `SOURCE_VIEW_MISSING`, `SOURCE_VIEW_SHAPE` (no `id`
 *   or `data jsonb` column, or no root table), `INVALID_IDENTIFIER`, `INTROSPECTION_FAILED`.
 */
export async function planProjection(
  schema: SchemaDocument,
  entity: string,
  options: PlanProjectionOptions = {},
): Promise<ProjectionPlan> {
  const target = identifier(options.schema ?? 'public', 'schema');
  const resolved = resolveEntity(schema, entity, target);
  const objectTypes = new Set(schema.types.map((type) => type.name));
  const fields: PlannedField[] = resolved.type.fields.map((field) => ({
    key: field.name,
    column: identifier(snakeCase(field.name), `${resolved.type.name}.${field.name} column`),
    mapping: graphqlSqlType(
      field.type,
      objectTypes,
      options.graphqlIdType === undefined ? {} : { idType: options.graphqlIdType },
    ),
    nullable: field.nullable,
  }));
  const root = sqlName(options.rootTable ?? `tb_${resolved.entity}`, target, 'rootTable');
  const rootIdColumn = identifier(options.rootIdColumn ?? 'id', 'rootIdColumn');
  const lockTables = (options.lockTables ?? []).map((table, index) =>
    sqlName(table, target, `lockTables[${index}]`),
  );
  const base = {
    entity: identifier(resolved.entity, 'entity'),
    typeName: resolved.type.name,
    schema: target,
    view: resolved.view,
    fields,
    rootTable: root,
    rootIdColumn,
    lockTables,
  };
  if (options.db === undefined) {
    return {
      ...base,
      idType: options.idType ?? 'uuid',
      sources: [{ table: root, paths: [[]], fullRefresh: false }],
      sourceIndexes: [],
      introspected: false,
      warnings: [
        `${plainName(resolved.view)} was not introspected: only changes to ${plainName(root)} refresh the projection; pass a database to follow foreign keys to child tables`,
      ],
    };
  }
  const info = await introspectView(options.db, resolved.view);
  const idColumn = info.columns.find((column) => column.name === 'id');
  const dataColumn = info.columns.find((column) => column.name === 'data');
  if (idColumn === undefined || dataColumn?.type !== 'jsonb') {
    throw new DdlGenError(
      'SOURCE_VIEW_SHAPE',
      `view ${plainName(resolved.view)} must have an "id" column and a "data" jsonb column (found: ${info.columns.map((column) => `${column.name} ${column.type}`).join(', ')})`,
    );
  }
  const rootKey = plainName(root);
  if (!info.tables.some((table) => plainName(table) === rootKey)) {
    throw new DdlGenError(
      'SOURCE_VIEW_SHAPE',
      `view ${plainName(resolved.view)} does not read ${rootKey}; set rootTable to the table its id comes from (it reads: ${info.tables.map(plainName).join(', ')})`,
    );
  }
  if (info.tableColumns.get(rootKey)?.has(rootIdColumn) !== true) {
    throw new DdlGenError(
      'SOURCE_VIEW_SHAPE',
      `${rootKey} has no column ${JSON.stringify(rootIdColumn)}; set rootIdColumn`,
    );
  }
  const warnings: string[] = [];
  const missing = await missingTables(options.db, lockTables);
  if (missing.length > 0) {
    throw new DdlGenError(
      'INVALID_ARGUMENT',
      `lockTables: ${missing.map(plainName).join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist`,
    );
  }
  const locked = new Set(lockTables.map(plainName));
  for (const table of info.referencingTables) {
    if (locked.has(plainName(table))) continue;
    warnings.push(
      `${plainName(table)} has a foreign key to a table ${plainName(resolved.view)} reads: a transaction that writes it before any of those tables can deadlock with their writers; write a source table first, call ${plainName(projectionLockFn(target))}() first, or list it in lockTables`,
    );
  }
  const sources: SourceLineage[] = info.tables.map((table) => {
    const paths = lineagePaths(
      table,
      root,
      info.foreignKeys,
      options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth },
    );
    if (paths === undefined || paths.length === 0) {
      warnings.push(
        `${plainName(table)} has no foreign-key path to ${rootKey}: any change to it rebuilds the whole projection`,
      );
      return { table, paths: [], fullRefresh: true };
    }
    return { table, paths, fullRefresh: false };
  });
  return {
    ...base,
    idType: idColumn.type,
    sources,
    sourceIndexes:
      options.createSourceIndexes === false
        ? []
        : missingIndexes(root, rootIdColumn, sources, info),
    introspected: true,
    warnings,
  };
}

async function missingTables(db: SqlClient, tables: readonly SqlName[]): Promise<SqlName[]> {
  if (tables.length === 0) return [];
  const found = await db.query<{ present: boolean }>(
    `SELECT to_regclass(x) IS NOT NULL AS present FROM unnest($1::text[]) WITH ORDINALITY AS t (x, n) ORDER BY n`,
    [tables.map(qn)],
  );
  return tables.filter((_, index) => found.rows[index]?.present !== true);
}

function missingIndexes(
  root: SqlName,
  rootIdColumn: string,
  sources: readonly SourceLineage[],
  info: ViewIntrospection,
): SourceIndex[] {
  const wanted = new Map<string, SourceIndex>();
  const want = (table: SqlName, column: string): void => {
    if (info.indexedColumns.get(plainName(table))?.has(column) === true) return;
    wanted.set(`${plainName(table)}.${column}`, { table, column });
  };
  want(root, rootIdColumn);
  // The view itself looks children up by their foreign key when it builds a document.
  for (const fk of info.foreignKeys) {
    const first = fk.columns[0];
    if (first !== undefined) want(fk.table, first);
  }
  for (const source of sources) {
    for (const path of source.paths) {
      for (const step of path) {
        const first = step.on[0];
        if (first !== undefined) want(step.table, first[1]);
      }
    }
  }
  return [...wanted.values()];
}
