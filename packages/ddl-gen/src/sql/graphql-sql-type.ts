/** How a GraphQL field is stored in a typed (`va_`/`ta_`) column. */
export interface SqlTypeMapping {
  /** PostgreSQL type of the column. */
  readonly sqlType: string;
  /** `text`: read with `->>` and cast; `jsonb`: read with `->` and kept as JSON. */
  readonly read: 'text' | 'jsonb';
  /** True for `[T]` fields. */
  readonly list: boolean;
  /** The named type with list and non-null markers removed. */
  readonly baseType: string;
}

/** Options of {@link graphqlSqlType}. */
export interface GraphqlSqlTypeOptions {
  /**
   * Column type for GraphQL `ID` fields: `uuid` when every id is a UUID (FraiseQL's default),
   * `text` otherwise. `UUID` fields are always `uuid`.
   * @defaultValue 'uuid'
   */
  readonly idType?: 'uuid' | 'text' | undefined;
}

const SCALARS: Readonly<Record<string, string>> = {
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Boolean: 'boolean',
  String: 'text',
  UUID: 'uuid',
  DateTime: 'timestamptz',
  Date: 'date',
  Time: 'time',
  Decimal: 'numeric',
  JSON: 'jsonb',
  JSONObject: 'jsonb',
};

/**
 * Maps a GraphQL type reference (`Int`, `String!`, `[Post!]!`) to its typed column: Int→integer,
 * Float→double precision, Boolean→boolean, ID→uuid (or text), UUID→uuid, DateTime→timestamptz,
 * Date→date, Decimal→numeric, String and enums→text, JSON, object types and lists→jsonb.
 * `objectTypes` are the names of the schema's types (stored as JSON).
 */
export function graphqlSqlType(
  type: string,
  objectTypes: ReadonlySet<string>,
  options: GraphqlSqlTypeOptions = {},
): SqlTypeMapping {
  const trimmed = type.replace(/\s+/g, '');
  const list = trimmed.startsWith('[');
  const baseType = trimmed.replace(/[[\]!]/g, '');
  if (list || objectTypes.has(baseType)) return { sqlType: 'jsonb', read: 'jsonb', list, baseType };
  if (baseType === 'ID') {
    return { sqlType: options.idType ?? 'uuid', read: 'text', list, baseType };
  }
  const scalar = SCALARS[baseType];
  if (scalar === 'jsonb') return { sqlType: 'jsonb', read: 'jsonb', list, baseType };
  // Enums and custom scalars travel as JSON strings.
  return { sqlType: scalar ?? 'text', read: 'text', list, baseType };
}
