import { ClickHouseError } from '../errors.js';
import { quoteString } from '../schema/identifiers.js';

/** A half-open time range `[from, to)`. */
export interface TimeRange {
  readonly from: Date;
  readonly to: Date;
}

/**
 * The range as two `toDateTime(…, 'UTC')` literals, whole seconds.
 *
 * @throws {ClickHouseError} `INVALID_ARGUMENT` for an invalid date or `from` not before `to`
 */
export function rangeLiterals(range: TimeRange, path: string): { from: string; to: string } {
  const from = range.from.getTime();
  const to = range.to.getTime();
  if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) {
    throw new ClickHouseError(
      'INVALID_ARGUMENT',
      `${path}: expected valid dates with from < to, got from=${String(range.from)} to=${String(range.to)}`,
    );
  }
  // Whole seconds (a DateTime column has no more): `from` rounds down and the exclusive `to`
  // rounds up, so an event in the current second (stored truncated to it) is inside the range.
  return {
    from: dateTimeLiteral(Math.floor(from / 1000)),
    to: dateTimeLiteral(Math.ceil(to / 1000)),
  };
}

function dateTimeLiteral(seconds: number): string {
  const iso = new Date(seconds * 1000).toISOString();
  return `toDateTime(${quoteString(`${iso.slice(0, 10)} ${iso.slice(11, 19)}`)}, 'UTC')`;
}

/** `AND column = 'value'` for each filter that is set. */
export function equalsFilters(filters: Readonly<Record<string, string | undefined>>): string {
  return Object.entries(filters)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([column, value]) => ` AND ${column} = ${quoteString(value)}`)
    .join('');
}

/**
 * Checks a row limit.
 *
 * @throws {ClickHouseError} `INVALID_ARGUMENT` unless 1 ≤ limit ≤ 10000
 */
export function checkLimit(limit: number, path: string): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new ClickHouseError(
      'INVALID_ARGUMENT',
      `${path}.limit: expected an integer from 1 to 10000, got ${String(limit)}`,
    );
  }
  return limit;
}
