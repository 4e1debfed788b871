import type { SqlClient } from '@fraiseql/core';
import {
  Binary,
  Bool,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Schema,
  TimestampMicrosecond,
  Utf8,
  type DataType,
} from 'apache-arrow';

/** A writable column of an upload target. */
export interface TargetColumn {
  readonly name: string;
  /** `format_type` of the column, used to cast the uploaded array. */
  readonly typeSql: string;
  readonly typeName: string;
  readonly category: string;
  readonly notNull: boolean;
  readonly hasDefault: boolean;
}

const COLUMNS_SQL = `
SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type_sql,
       t.typname AS type_name, t.typcategory AS category,
       a.attnotnull AS not_null, a.atthasdef OR a.attidentity <> '' AS has_default
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
ORDER BY a.attnum`;

/** The writable (non-generated) columns of `schema.table`, in table order; empty when absent. */
export async function loadTargetColumns(
  db: Pick<SqlClient, 'query'>,
  schema: string,
  table: string,
): Promise<TargetColumn[]> {
  const { rows } = await db.query<{
    name: string;
    type_sql: string;
    type_name: string;
    category: string;
    not_null: boolean;
    has_default: boolean;
  }>(COLUMNS_SQL, [schema, table]);
  return rows.map((row) => ({
    name: row.name,
    typeSql: row.type_sql,
    typeName: row.type_name,
    category: row.category,
    notNull: row.not_null,
    hasDefault: row.has_default,
  }));
}

/** Field metadata key holding the PostgreSQL type of an upload column (`numeric(12,2)`). */
export const PG_TYPE_METADATA = 'fraiseql.pg_type';
/** Field metadata key set to `"true"` when the column has a default (it may be left out). */
export const HAS_DEFAULT_METADATA = 'fraiseql.has_default';

function arrowTypeOf(column: TargetColumn): DataType {
  switch (column.typeName) {
    case 'int2':
      return new Int16();
    case 'int4':
      return new Int32();
    case 'int8':
      return new Int64();
    case 'float4':
      return new Float32();
    case 'float8':
      return new Float64();
    case 'bool':
      return new Bool();
    case 'timestamptz':
      return new TimestampMicrosecond('UTC');
    case 'timestamp':
      return new TimestampMicrosecond();
    case 'date':
      return new DateDay();
    case 'bytea':
      return new Binary();
    case 'numeric': {
      const typmod = /^numeric\((\d+),(\d+)\)$/.exec(column.typeSql);
      if (typmod !== null && Number(typmod[1]) <= 38) {
        return new Decimal(Number(typmod[2]), Number(typmod[1]), 128);
      }
      return new Utf8(); // unbounded numeric: text keeps every digit
    }
    default:
      // text, varchar, uuid, json, enums, arrays …: PostgreSQL parses the text.
      return new Utf8();
  }
}

/**
 * The Arrow schema an upload into these columns may use: one field per writable column with
 * its natural Arrow type, nullable unless `NOT NULL`, the PostgreSQL type in
 * {@link PG_TYPE_METADATA}.
 */
export function uploadSchemaOf(columns: readonly TargetColumn[]): Schema {
  return new Schema(
    columns.map(
      (column) =>
        new Field(
          column.name,
          arrowTypeOf(column),
          !column.notNull,
          new Map([
            [PG_TYPE_METADATA, column.typeSql],
            [HAS_DEFAULT_METADATA, String(column.hasDefault)],
          ]),
        ),
    ),
  );
}
