import { CoreError } from '../errors/core-error.js';

/** The change-log table every capture writes and every change-log source reads. */
export const CHANGE_LOG_TABLE = 'core.tb_entity_change_log';

/**
 * The `NOTIFY` channel a statement-level trigger on the change log signals after every insert.
 * The payload is only a wake-up (the highest sequence the statement inserted, as text); read
 * the rows from the table.
 */
export const CHANGE_LOG_CHANNEL = 'fraiseql_change_log';

const COLUMNS: readonly (readonly [name: string, cast: boolean])[] = [
  ['pk_entity_change_log', true],
  ['id', true],
  ['tenant_id', true],
  ['fk_contact', true],
  ['object_type', false],
  ['object_id', true],
  ['modification_type', false],
  ['change_status', false],
  ['object_data', false],
  ['object_data_before', false],
  ['updated_fields', false],
  ['extra_metadata', false],
  ['created_at', false],
  ['transaction_id', true],
];

/**
 * The SELECT list for change-log rows, optionally qualified with a table alias. Identifier-like
 * columns are read as text so every driver returns the same values (int8 and uuid included).
 * With `epochCreatedAt`, `created_at` comes as epoch milliseconds (`float8`), which
 * {@link changeLogRowToEvent} reads without parsing a timestamp text per row.
 *
 * @throws {CoreError} `INVALID_ARGUMENT` for an alias that is not a plain lower-case identifier.
 * @example `SELECT ${changeLogColumns('l')} FROM core.tb_entity_change_log l WHERE ...`
 */
export function changeLogColumns(
  alias?: string,
  options: { readonly epochCreatedAt?: boolean } = {},
): string {
  if (alias !== undefined && !/^[a-z_][a-z0-9_]*$/.test(alias)) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `changeLogColumns: alias must be a lower-case identifier, got ${JSON.stringify(alias)}`,
    );
  }
  const prefix = alias === undefined ? '' : `${alias}.`;
  return COLUMNS.map(([name, cast]) => {
    if (name === 'created_at' && options.epochCreatedAt === true) {
      return `(extract(epoch FROM ${prefix}created_at) * 1000)::float8 AS created_at`;
    }
    return cast ? `${prefix}${name}::text AS ${name}` : `${prefix}${name}`;
  }).join(', ');
}

/** {@link changeLogColumns} without an alias: exactly what {@link changeLogRowToEvent} reads. */
export const CHANGE_LOG_COLUMNS = changeLogColumns();
