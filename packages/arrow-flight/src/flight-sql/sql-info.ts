import { SqlInfo } from '../gen/FlightSql_pb.js';
import type { SqlInfoValue } from './metadata-batches.js';

/** What the SqlInfo answers are made of. */
export interface SqlInfoContext {
  readonly serverName: string;
  readonly serverVersion: string;
  readonly functions: ReadonlySet<string>;
  /** Prepared statement handle timeout (ms). */
  readonly statementTimeoutMs: number;
}

const ARROW_VERSION = '21.2.0';
const KEYWORDS = ['ILIKE', 'LATERAL', 'RETURNING', 'WINDOW', 'FILTER', 'WITHIN'];
const NUMERIC = [
  'abs',
  'ceil',
  'floor',
  'round',
  'trunc',
  'sign',
  'sqrt',
  'power',
  'mod',
  'ln',
  'log',
  'exp',
];
const STRING = [
  'lower',
  'upper',
  'length',
  'substring',
  'trim',
  'replace',
  'concat',
  'left',
  'right',
  'position',
  'lpad',
  'rpad',
];
const DATETIME = [
  'now',
  'date_trunc',
  'date_part',
  'extract',
  'age',
  'make_date',
  'to_timestamp',
  'to_date',
];

/**
 * The SqlInfo answers: server name and version, read-only SQL, no Substrait or transactions,
 * and the grammar facts a client needs to write PostgreSQL SQL (quote char, case folding,
 * null ordering, joins, functions it may call). `ids` empty answers every one.
 */
export function sqlInfoEntries(
  ids: readonly number[],
  context: SqlInfoContext,
): [number, SqlInfoValue][] {
  const allowed = (names: readonly string[]) => names.filter((name) => context.functions.has(name));
  const all = new Map<number, SqlInfoValue>([
    [SqlInfo.FLIGHT_SQL_SERVER_NAME, { kind: 'string', value: context.serverName }],
    [SqlInfo.FLIGHT_SQL_SERVER_VERSION, { kind: 'string', value: context.serverVersion }],
    [SqlInfo.FLIGHT_SQL_SERVER_ARROW_VERSION, { kind: 'string', value: ARROW_VERSION }],
    [SqlInfo.FLIGHT_SQL_SERVER_READ_ONLY, { kind: 'bool', value: true }],
    [SqlInfo.FLIGHT_SQL_SERVER_SQL, { kind: 'bool', value: true }],
    [SqlInfo.FLIGHT_SQL_SERVER_SUBSTRAIT, { kind: 'bool', value: false }],
    [SqlInfo.FLIGHT_SQL_SERVER_TRANSACTION, { kind: 'int32', value: 0 }],
    [SqlInfo.FLIGHT_SQL_SERVER_CANCEL, { kind: 'bool', value: false }],
    [SqlInfo.FLIGHT_SQL_SERVER_BULK_INGESTION, { kind: 'bool', value: false }],
    [
      SqlInfo.FLIGHT_SQL_SERVER_STATEMENT_TIMEOUT,
      { kind: 'int32', value: context.statementTimeoutMs },
    ],
    [SqlInfo.SQL_DDL_CATALOG, { kind: 'bool', value: false }],
    [SqlInfo.SQL_DDL_SCHEMA, { kind: 'bool', value: false }],
    [SqlInfo.SQL_DDL_TABLE, { kind: 'bool', value: false }],
    // Unquoted identifiers fold to lower case (SqlSupportedCaseSensitivity.LOWERCASE).
    [SqlInfo.SQL_IDENTIFIER_CASE, { kind: 'int32', value: 3 }],
    [SqlInfo.SQL_IDENTIFIER_QUOTE_CHAR, { kind: 'string', value: '"' }],
    [SqlInfo.SQL_ALL_TABLES_ARE_SELECTABLE, { kind: 'bool', value: false }],
    // NULLs sort as if larger than every value (SqlNullOrdering.SQL_NULLS_SORTED_HIGH).
    [SqlInfo.SQL_NULL_ORDERING, { kind: 'int32', value: 0 }],
    [SqlInfo.SQL_KEYWORDS, { kind: 'strings', value: KEYWORDS }],
    [SqlInfo.SQL_NUMERIC_FUNCTIONS, { kind: 'strings', value: allowed(NUMERIC) }],
    [SqlInfo.SQL_STRING_FUNCTIONS, { kind: 'strings', value: allowed(STRING) }],
    [SqlInfo.SQL_SYSTEM_FUNCTIONS, { kind: 'strings', value: [] }],
    [SqlInfo.SQL_DATETIME_FUNCTIONS, { kind: 'strings', value: allowed(DATETIME) }],
    [SqlInfo.SQL_SEARCH_STRING_ESCAPE, { kind: 'string', value: '\\' }],
    [SqlInfo.SQL_EXTRA_NAME_CHARACTERS, { kind: 'string', value: '$' }],
    [SqlInfo.SQL_SUPPORTS_COLUMN_ALIASING, { kind: 'bool', value: true }],
    [SqlInfo.SQL_NULL_PLUS_NULL_IS_NULL, { kind: 'bool', value: true }],
    [SqlInfo.SQL_SUPPORTS_TABLE_CORRELATION_NAMES, { kind: 'bool', value: true }],
    [SqlInfo.SQL_SUPPORTS_DIFFERENT_TABLE_CORRELATION_NAMES, { kind: 'bool', value: false }],
    [SqlInfo.SQL_SUPPORTS_EXPRESSIONS_IN_ORDER_BY, { kind: 'bool', value: true }],
    [SqlInfo.SQL_SUPPORTS_ORDER_BY_UNRELATED, { kind: 'bool', value: true }],
    // SQL_GROUP_BY_UNRELATED | SQL_GROUP_BY_BEYOND_SELECT.
    [SqlInfo.SQL_SUPPORTED_GROUP_BY, { kind: 'int32', value: 0b11 }],
    [SqlInfo.SQL_SUPPORTS_LIKE_ESCAPE_CLAUSE, { kind: 'bool', value: true }],
    [SqlInfo.SQL_SUPPORTS_NON_NULLABLE_COLUMNS, { kind: 'bool', value: true }],
    // SQL_MINIMUM_GRAMMAR | SQL_CORE_GRAMMAR.
    [SqlInfo.SQL_SUPPORTED_GRAMMAR, { kind: 'int32', value: 0b11 }],
    // ANSI92_ENTRY_SQL.
    [SqlInfo.SQL_ANSI92_SUPPORTED_LEVEL, { kind: 'int32', value: 0b1 }],
    [SqlInfo.SQL_SUPPORTS_INTEGRITY_ENHANCEMENT_FACILITY, { kind: 'bool', value: false }],
    // SqlOuterJoinsSupportLevel.SQL_FULL_OUTER_JOINS.
    [SqlInfo.SQL_OUTER_JOINS_SUPPORT_LEVEL, { kind: 'int32', value: 2 }],
    [SqlInfo.SQL_SCHEMA_TERM, { kind: 'string', value: 'schema' }],
    [SqlInfo.SQL_PROCEDURE_TERM, { kind: 'string', value: 'function' }],
    [SqlInfo.SQL_CATALOG_TERM, { kind: 'string', value: 'database' }],
    [SqlInfo.SQL_CATALOG_AT_START, { kind: 'bool', value: true }],
  ]);
  if (ids.length === 0) return [...all];
  return ids.flatMap((id) => {
    const value = all.get(id);
    return value === undefined ? [] : [[id, value] as [number, SqlInfoValue]];
  });
}
