import { isPlainIdentifier } from '@fraiseql/core';
import { DdlGenError } from '../errors.js';

/** A schema-qualified relation or function name. */
export interface SqlName {
  readonly schema: string;
  readonly name: string;
}

/**
 * Checks that `name` is a plain identifier PostgreSQL keeps as written (letters, digits, `_`,
 * at most 63 bytes) and returns it.
 *
 * @throws {DdlGenError} `INVALID_IDENTIFIER` naming `what`.
 */
export function identifier(name: string, what: string): string {
  if (!isPlainIdentifier(name)) {
    throw new DdlGenError(
      'INVALID_IDENTIFIER',
      `${what}: ${JSON.stringify(name)} is not a plain SQL identifier (letters, digits and _, at most 63 characters)`,
    );
  }
  return name;
}

/**
 * Parses `name` or `schema.name`, with `defaultSchema` when unqualified.
 *
 * @throws {DdlGenError} `INVALID_IDENTIFIER` when a part is not a plain identifier.
 */
export function sqlName(text: string, defaultSchema: string, what: string): SqlName {
  const parts = text.split('.');
  if (parts.length > 2) {
    throw new DdlGenError(
      'INVALID_IDENTIFIER',
      `${what}: ${JSON.stringify(text)} has more than two dotted parts`,
    );
  }
  const [first = '', second] = parts;
  return second === undefined
    ? { schema: identifier(defaultSchema, `${what} schema`), name: identifier(first, what) }
    : { schema: identifier(first, `${what} schema`), name: identifier(second, what) };
}

/** Double-quotes one identifier. */
export function qi(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The quoted, schema-qualified form `"schema"."name"`. */
export function qn(name: SqlName): string {
  return `${qi(name.schema)}.${qi(name.name)}`;
}

/** `schema.name` without quotes, for messages and keys. */
export function plainName(name: SqlName): string {
  return `${name.schema}.${name.name}`;
}

/** A single-quoted SQL string literal. */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
