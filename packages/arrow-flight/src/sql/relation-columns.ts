import type { SqlClient } from '@fraiseql/core';
import type { PgColumn } from '../arrow/pg-type-map.js';
import { FlightError } from '../errors.js';

const COLUMNS_SQL = `
SELECT a.attname AS name, t.typname AS type_name, a.atttypmod AS typmod, t.typcategory AS category
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`;

/**
 * The columns of a table or view, from the catalog, in column order.
 * @throws {FlightError} `NOT_FOUND` when the relation does not exist.
 */
export async function readRelationColumns(
  db: SqlClient,
  schema: string,
  name: string,
): Promise<PgColumn[]> {
  const { rows } = await db.query<{
    name: string;
    type_name: string;
    typmod: number;
    category: string;
  }>(COLUMNS_SQL, [schema, name]);
  if (rows.length === 0) throw new FlightError('NOT_FOUND', `${schema}.${name}: does not exist`);
  return rows.map((row) => ({
    name: row.name,
    typeName: row.type_name,
    typmod: row.typmod,
    category: row.category,
  }));
}

/** A per-relation cache of {@link readRelationColumns}; a failed read is not kept. */
export function relationColumnCache(db: SqlClient) {
  const cache = new Map<string, Promise<PgColumn[]>>();
  return {
    get(schema: string, name: string): Promise<PgColumn[]> {
      const key = `${schema}.${name}`;
      let cached = cache.get(key);
      if (cached === undefined) {
        cached = readRelationColumns(db, schema, name);
        cached.catch(() => cache.delete(key));
        cache.set(key, cached);
      }
      return cached;
    },
    clear(): void {
      cache.clear();
    },
  };
}
