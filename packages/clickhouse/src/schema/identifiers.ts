import { ClickHouseError } from '../errors.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * Checks a database or table name and returns it quoted; names come from configuration, and
 * only plain identifiers are accepted so that no name can change a statement.
 *
 * @throws {ClickHouseError} `INVALID_ARGUMENT` for anything but `[A-Za-z_][A-Za-z0-9_]*`
 */
export function quoteIdentifier(name: string, path: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new ClickHouseError(
      'INVALID_ARGUMENT',
      `${path}: ${JSON.stringify(name)} is not a plain identifier (letters, digits, _; not starting with a digit)`,
    );
  }
  return `\`${name}\``;
}

/** Quotes a text value as a ClickHouse string literal. */
export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
