import {
  Binary,
  Bool,
  DenseUnion,
  Field,
  Int32,
  Int64,
  List,
  makeData,
  Map_,
  RecordBatch,
  Schema,
  Struct,
  Uint32,
  Utf8,
  vectorFromArray,
  type Data,
  type DataType,
} from 'apache-arrow';

const utf8 = (name: string, nullable: boolean) => new Field(name, new Utf8(), nullable);

/** `GetCatalogs`: catalog_name utf8 not null. */
export const CATALOGS_SCHEMA = new Schema([utf8('catalog_name', false)]);

/** `GetDbSchemas`: catalog_name utf8, db_schema_name utf8 not null. */
export const DB_SCHEMAS_SCHEMA = new Schema([
  utf8('catalog_name', true),
  utf8('db_schema_name', false),
]);

/** `GetTables`, with `table_schema` (IPC-encapsulated) when `include_schema` is set. */
export function tablesSchema(includeSchema: boolean): Schema {
  const fields: Field[] = [
    utf8('catalog_name', true),
    utf8('db_schema_name', true),
    utf8('table_name', false),
    utf8('table_type', false),
  ];
  if (includeSchema) fields.push(new Field('table_schema', new Binary(), false));
  return new Schema(fields);
}

/** `GetTableTypes`: table_type utf8 not null. */
export const TABLE_TYPES_SCHEMA = new Schema([utf8('table_type', false)]);

/** `GetPrimaryKeys`. */
export const PRIMARY_KEYS_SCHEMA = new Schema([
  utf8('catalog_name', true),
  utf8('db_schema_name', true),
  utf8('table_name', false),
  utf8('column_name', false),
  utf8('key_name', true),
  new Field('key_sequence', new Int32(), false),
]);

const SQL_INFO_VALUE = new DenseUnion(
  [0, 1, 2, 3, 4, 5],
  [
    new Field('string_value', new Utf8(), true),
    new Field('bool_value', new Bool(), true),
    new Field('bigint_value', new Int64(), true),
    new Field('int32_bitmask', new Int32(), true),
    new Field('string_list', new List(new Field('item', new Utf8(), true)), true),
    new Field(
      'int32_to_int32_list_map',
      new Map_(
        new Field(
          'entries',
          new Struct<{ key: Int32; value: List<Int32> }>([
            new Field('key', new Int32(), false),
            new Field('value', new List(new Field('item', new Int32(), true)), true),
          ]),
          false,
        ),
      ),
      true,
    ),
  ],
);

/** `GetSqlInfo`: info_name uint32 not null, value dense_union<…> not null. */
export const SQL_INFO_SCHEMA = new Schema([
  new Field('info_name', new Uint32(), false),
  new Field('value', SQL_INFO_VALUE, false),
]);

/** One SqlInfo answer, by the union member it is sent as. */
export type SqlInfoValue =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'bigint'; readonly value: bigint }
  | { readonly kind: 'int32'; readonly value: number }
  | { readonly kind: 'strings'; readonly value: readonly string[] };

function column(values: readonly unknown[], type: unknown): Data {
  const vector = vectorFromArray(values as unknown[], type as DataType);
  const [data] = vector.data;
  if (data === undefined || vector.data.length !== 1) {
    throw new Error('metadata: expected one chunk');
  }
  return data;
}

/** A record batch of `schema` from plain columns (strings, numbers, null). */
export function metadataBatch(
  schema: Schema,
  columns: readonly (readonly unknown[])[],
): RecordBatch {
  const length = columns[0]?.length ?? 0;
  const children = schema.fields.map((field, i) => column(columns[i] ?? [], field.type));
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }),
  );
}

/** The `GetSqlInfo` batch: one row per answered id, in the order asked. */
export function sqlInfoBatch(entries: readonly (readonly [number, SqlInfoValue])[]): RecordBatch {
  const strings: string[] = [];
  const bools: boolean[] = [];
  const bigints: bigint[] = [];
  const ints: number[] = [];
  const lists: string[][] = [];
  const typeIds = new Int8Array(entries.length);
  const offsets = new Int32Array(entries.length);
  entries.forEach(([, info], row) => {
    switch (info.kind) {
      case 'string':
        typeIds[row] = 0;
        offsets[row] = strings.push(info.value) - 1;
        break;
      case 'bool':
        typeIds[row] = 1;
        offsets[row] = bools.push(info.value) - 1;
        break;
      case 'bigint':
        typeIds[row] = 2;
        offsets[row] = bigints.push(info.value) - 1;
        break;
      case 'int32':
        typeIds[row] = 3;
        offsets[row] = ints.push(info.value) - 1;
        break;
      case 'strings':
        typeIds[row] = 4;
        offsets[row] = lists.push([...info.value]) - 1;
        break;
    }
  });
  const [stringField, boolField, bigintField, intField, listField, mapField] =
    SQL_INFO_VALUE.children;
  if (
    stringField === undefined ||
    boolField === undefined ||
    bigintField === undefined ||
    intField === undefined ||
    listField === undefined ||
    mapField === undefined
  ) {
    throw new Error('metadata: SqlInfo union is incomplete');
  }
  const mapType = mapField.type as Map_;
  const entriesType = mapType.children[0]?.type as Struct;
  const emptyMap = makeData({
    type: mapType,
    length: 0,
    nullCount: 0,
    valueOffsets: new Int32Array([0]),
    child: makeData({
      type: entriesType,
      length: 0,
      nullCount: 0,
      children: entriesType.children.map((field) => column([], field.type)),
    }),
  });
  const value = makeData({
    type: SQL_INFO_VALUE,
    length: entries.length,
    nullCount: 0,
    typeIds,
    valueOffsets: offsets,
    children: [
      column(strings, stringField.type),
      column(bools, boolField.type),
      column(bigints, bigintField.type),
      column(ints, intField.type),
      column(lists, listField.type),
      emptyMap,
    ],
  });
  const names = column(
    entries.map(([id]) => id),
    new Uint32(),
  );
  return new RecordBatch(
    SQL_INFO_SCHEMA,
    makeData({
      type: new Struct(SQL_INFO_SCHEMA.fields),
      length: entries.length,
      nullCount: 0,
      children: [names, value],
    }),
  );
}
