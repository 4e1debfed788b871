import { quoteIdent, type SqlClient } from '../db/sql-client.js';
import { CoreError } from '../errors/core-error.js';

/** A table resolved in the catalog, with what capture needs to know about its columns. */
export interface CaptureTarget {
  readonly schema: string;
  readonly name: string;
  /** `schema.name`, unquoted, as `extra_metadata.source_table` carries it. */
  readonly qualifiedName: string;
  readonly columns: ReadonlySet<string>;
  /** Columns that are unique on their own (primary key or a full unique index). */
  readonly uniqueColumns: ReadonlySet<string>;
  /** The primary key's column when the key has exactly one, else undefined. */
  readonly primaryKey: string | undefined;
}

/**
 * Finds a table by name (`tb_order` on the search path, or `schema.tb_order`; each part is
 * taken literally, case included).
 *
 * @throws {CoreError} `CAPTURE_TARGET_MISSING` naming the table when it does not exist or is
 *   not an ordinary or partitioned table.
 */
export async function resolveCaptureTarget(
  db: SqlClient,
  caller: string,
  table: string,
): Promise<CaptureTarget> {
  const found = await db.query<{
    oid: number | string;
    schema: string;
    name: string;
    kind: string;
  }>(
    `SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass($1)`,
    [quoteIdent(table)],
  );
  const relation = found.rows[0];
  if (relation === undefined || (relation.kind !== 'r' && relation.kind !== 'p')) {
    throw new CoreError(
      'CAPTURE_TARGET_MISSING',
      relation === undefined
        ? `${caller}: table ${JSON.stringify(table)} does not exist (looked up as ${quoteIdent(table)} on the search path)`
        : `${caller}: ${JSON.stringify(table)} is not a table (relkind ${relation.kind}); only tables can be captured`,
      { details: { table } },
    );
  }
  const columns = await db.query<{ name: string; is_unique: boolean; is_primary: boolean }>(
    `SELECT a.attname AS name,
            EXISTS (SELECT 1 FROM pg_index i
                     WHERE i.indrelid = a.attrelid AND i.indisunique AND i.indnkeyatts = 1
                       AND i.indkey[0] = a.attnum AND i.indpred IS NULL) AS is_unique,
            EXISTS (SELECT 1 FROM pg_index i
                     WHERE i.indrelid = a.attrelid AND i.indisprimary AND i.indnkeyatts = 1
                       AND i.indkey[0] = a.attnum) AS is_primary
       FROM pg_attribute a
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped`,
    [String(relation.oid)],
  );
  return {
    schema: relation.schema,
    name: relation.name,
    qualifiedName: `${relation.schema}.${relation.name}`,
    columns: new Set(columns.rows.map((row) => row.name)),
    uniqueColumns: new Set(columns.rows.filter((row) => row.is_unique).map((row) => row.name)),
    primaryKey: columns.rows.find((row) => row.is_primary)?.name,
  };
}

/**
 * Checks that the capture generator of core's migrations (0004) is installed.
 *
 * @throws {CoreError} `CAPTURE_TARGET_MISSING` saying to run `migrate(db)` when it is not.
 */
export async function assertCaptureMigrated(db: SqlClient, caller: string): Promise<void> {
  const present = await db.query<{ present: boolean }>(
    `SELECT to_regprocedure('core.fn_capture_statements(regclass,text,text,text,text,boolean,boolean,boolean)') IS NOT NULL AS present`,
  );
  if (present.rows[0]?.present !== true) {
    throw new CoreError(
      'CAPTURE_TARGET_MISSING',
      `${caller}: the function core.fn_capture_statements() does not exist; run migrate(db) first`,
      { details: { missing: 'core.fn_capture_statements()' } },
    );
  }
}
