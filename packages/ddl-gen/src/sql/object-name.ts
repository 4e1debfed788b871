import { createHash } from 'node:crypto';

/**
 * Joins parts into an identifier of at most 63 bytes; a longer one is cut and suffixed with a
 * short hash of the full name so that distinct long names stay distinct.
 */
export function objectName(...parts: string[]): string {
  const full = parts.join('');
  if (Buffer.byteLength(full) <= 63) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, 54)}_${hash}`;
}

const SQL_TYPE = /^[a-z_][a-z0-9_ ]*(\(\d+(,\s*\d+)?\))?(\[\])?$/i;

/** Checks that `type` looks like an SQL type name (`uuid`, `character varying(40)`). */
export function isSqlTypeName(type: string): boolean {
  return SQL_TYPE.test(type) && type.length <= 100;
}
