import type { ColumnKind } from './column-builder.js';

/** A column as the PostgreSQL catalog describes it. */
export interface PgColumn {
  readonly name: string;
  /** `pg_type.typname` (`int4`, `timestamptz`, `_int4` for an array). */
  readonly typeName: string;
  /** `pg_attribute.atttypmod` (-1 when unconstrained). */
  readonly typmod: number;
  /** `pg_type.typcategory` (`A` array, `E` enum, …). */
  readonly category: string;
}

/** How a PostgreSQL column becomes an Arrow column. */
export interface ColumnMapping {
  readonly kind: ColumnKind;
  /** Select the column through `to_json(…)` (arrays, composites) so its text is JSON. */
  readonly asJson: boolean;
}

/**
 * The type map, PostgreSQL → Arrow: int2→Int16, int4→Int32, int8→Int64, float4/8→Float32/64,
 * numeric(p,s)→Decimal128(p,s) (Utf8 text when unconstrained or wider than 38 digits),
 * bool→Bool, text/varchar/uuid/enums→Utf8, timestamptz→Timestamp(µs, UTC),
 * timestamp→Timestamp(µs), date→Date32, time→Time64(µs), json/jsonb/arrays/composites→Utf8
 * JSON, bytea→Binary; anything else→Utf8 of PostgreSQL's text output.
 */
export function mapPgColumn(column: PgColumn): ColumnMapping {
  const plain = (kind: ColumnKind): ColumnMapping => ({ kind, asJson: false });
  switch (column.typeName) {
    case 'int2':
      return plain({ kind: 'int16' });
    case 'int4':
      return plain({ kind: 'int32' });
    case 'int8':
    case 'oid':
      return plain({ kind: 'int64' });
    case 'float4':
      return plain({ kind: 'float32' });
    case 'float8':
      return plain({ kind: 'float64' });
    case 'numeric': {
      if (column.typmod < 4) return plain({ kind: 'utf8' });
      const precision = ((column.typmod - 4) >> 16) & 0xffff;
      const scale = (column.typmod - 4) & 0xffff;
      if (precision < 1 || precision > 38 || scale > precision) return plain({ kind: 'utf8' });
      return plain({ kind: 'decimal', precision, scale });
    }
    case 'bool':
      return plain({ kind: 'bool' });
    case 'timestamptz':
      return plain({ kind: 'timestamp', timezone: 'UTC' });
    case 'timestamp':
      return plain({ kind: 'timestamp', timezone: null });
    case 'date':
      return plain({ kind: 'date' });
    case 'time':
      return plain({ kind: 'time' });
    case 'bytea':
      return plain({ kind: 'binary' });
    case 'json':
    case 'jsonb':
      return plain({ kind: 'utf8' });
    default:
      if (column.category === 'A' || column.category === 'C') {
        return { kind: { kind: 'utf8' }, asJson: true };
      }
      return plain({ kind: 'utf8' });
  }
}
