import { parseDuration } from '@fraiseql/core';
import { OptionValueError } from '../command.js';

/**
 * A parser for a whole number between `min` and `max`, for {@link OptionSpec.parse}.
 *
 * @example `limit: { type: 'string', parse: integer(1, 1000), … }`
 */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (raw: string) => number {
  return (raw) => {
    const value = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new OptionValueError(
        `Expected a whole number from ${String(min)} to ${String(max)}, got ${JSON.stringify(raw)}`,
      );
    }
    return value;
  };
}

/** Parses a duration (`30s`, `12h`, `7d`, `1h30m` or milliseconds) to milliseconds. */
export function duration(raw: string): number {
  try {
    return parseDuration(raw, 'value');
  } catch {
    throw new OptionValueError(
      `Expected a duration such as 30s, 12h, 7d or 1h30m (units ms, s, m, h, d, w), got ${JSON.stringify(raw)}`,
    );
  }
}

/** Checks a change-log sequence number (a whole number; kept as text, it may exceed 2^53). */
export function sequence(raw: string): string {
  if (!/^\d+$/.test(raw.trim())) {
    throw new OptionValueError(
      `Expected a change-log sequence number such as 1042, got ${JSON.stringify(raw)}`,
    );
  }
  return raw.trim();
}
