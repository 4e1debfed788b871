import type { SqlClient } from '@fraiseql/core';
import { DdlGenError } from '../errors.js';
import { plainName, qn, type SqlName } from '../sql/sql-name.js';
import type { ForeignKey } from './lineage-paths.js';

/** What a live database says about a `v_` view. */
export interface ViewIntrospection {
  /** Columns of the view with their SQL types, in order. */
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  /** Base tables the view reads, directly or through other views (from `pg_depend`). */
  readonly tables: readonly SqlName[];
  /** Foreign keys between those tables. */
  readonly foreignKeys: readonly ForeignKey[];
  /** `schema.table` → columns that lead some index. */
  readonly indexedColumns: ReadonlyMap<string, ReadonlySet<string>>;
  /** `schema.table` → its columns. */
  readonly tableColumns: ReadonlyMap<string, ReadonlySet<string>>;
  /** Tables the view does not read that have a foreign key to one it reads. */
  readonly referencingTables: readonly SqlName[];
}

const DEPENDENCIES = `
WITH RECURSIVE deps(oid) AS (
  SELECT $1::text::regclass::oid
  UNION
  SELECT d.refobjid
  FROM deps
  JOIN pg_rewrite r ON r.ev_class = deps.oid
  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
   AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> deps.oid
)
SELECT n.nspname::text AS schema, c.relname::text AS name
FROM deps JOIN pg_class c ON c.oid = deps.oid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
ORDER BY 1, 2`;

const COLUMNS = `
SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type
FROM pg_attribute a
WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`;

const FOREIGN_KEYS = `
WITH rels AS (SELECT to_regclass(x) AS oid FROM unnest($1::text[]) AS x)
SELECT cn.nspname::text AS schema, c.relname::text AS name,
       fn.nspname::text AS ref_schema, f.relname::text AS ref_name,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord) AS columns,
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord) AS ref_columns
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
JOIN pg_class f ON f.oid = con.confrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace
WHERE con.contype = 'f'
  AND con.conrelid IN (SELECT oid FROM rels) AND con.confrelid IN (SELECT oid FROM rels)
ORDER BY con.conname`;

const TABLE_COLUMNS = `
WITH rels AS (SELECT to_regclass(x) AS oid FROM unnest($1::text[]) AS x)
SELECT n.nspname || '.' || c.relname AS rel, a.attname::text AS "column",
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = rels.oid AND i.indkey[0] = a.attnum) AS indexed
FROM rels
JOIN pg_class c ON c.oid = rels.oid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = rels.oid AND a.attnum > 0 AND NOT a.attisdropped`;

const REFERENCING_TABLES = `
WITH rels AS (SELECT to_regclass(x) AS oid FROM unnest($1::text[]) AS x)
SELECT DISTINCT n.nspname::text AS schema, c.relname::text AS name
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE con.contype = 'f'
  AND con.confrelid IN (SELECT oid FROM rels) AND con.conrelid NOT IN (SELECT oid FROM rels)
ORDER BY 1, 2`;

/**
 * Reads a view's columns, the base tables it depends on (`pg_depend`/`pg_rewrite`, through
 * nested views), the foreign keys between them, which columns are indexed, and the other tables
 * that have a foreign key to one of them.
 *
 * @throws {DdlGenError} `SOURCE_VIEW_MISSING` when the view does not exist;
 *   `INTROSPECTION_FAILED` when the catalog queries fail.
 */
export async function introspectView(db: SqlClient, view: SqlName): Promise<ViewIntrospection> {
  const name = plainName(view);
  const quoted = qn(view);
  const found = await db.query<{ oid: unknown }>('SELECT to_regclass($1)::text AS oid', [quoted]);
  if (found.rows[0]?.oid === null || found.rows[0]?.oid === undefined) {
    throw new DdlGenError(
      'SOURCE_VIEW_MISSING',
      `view ${name} does not exist; create the v_ view (id, data) before generating its projections`,
    );
  }
  try {
    const columns = await db.query<{ name: string; type: string }>(COLUMNS, [quoted]);
    const deps = await db.query<{ schema: string; name: string }>(DEPENDENCIES, [quoted]);
    const tables = deps.rows.map((row) => ({ schema: row.schema, name: row.name }));
    const tableNames = tables.map(qn);
    const fks = await db.query<{
      schema: string;
      name: string;
      ref_schema: string;
      ref_name: string;
      columns: string[];
      ref_columns: string[];
    }>(FOREIGN_KEYS, [tableNames]);
    const cols = await db.query<{ rel: string; column: string; indexed: boolean }>(TABLE_COLUMNS, [
      tableNames,
    ]);
    const referencing = await db.query<{ schema: string; name: string }>(REFERENCING_TABLES, [
      tableNames,
    ]);
    const indexedColumns = new Map<string, Set<string>>();
    const tableColumns = new Map<string, Set<string>>();
    for (const row of cols.rows) {
      const all = tableColumns.get(row.rel) ?? new Set<string>();
      all.add(row.column);
      tableColumns.set(row.rel, all);
      if (row.indexed) {
        const set = indexedColumns.get(row.rel) ?? new Set<string>();
        set.add(row.column);
        indexedColumns.set(row.rel, set);
      }
    }
    return {
      columns: columns.rows,
      tables,
      foreignKeys: fks.rows.map((row) => ({
        table: { schema: row.schema, name: row.name },
        columns: row.columns,
        refTable: { schema: row.ref_schema, name: row.ref_name },
        refColumns: row.ref_columns,
      })),
      indexedColumns,
      tableColumns,
      referencingTables: referencing.rows.map((row) => ({ schema: row.schema, name: row.name })),
    };
  } catch (cause) {
    throw new DdlGenError(
      'INTROSPECTION_FAILED',
      `introspecting view ${name} failed: ${(cause as Error).message}`,
      { cause },
    );
  }
}
