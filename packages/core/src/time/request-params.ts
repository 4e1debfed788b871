import { CoreError, isCoreError } from '../errors/core-error.js';
import { parseDuration } from './duration.js';

// Text parameters of a request (a URL query, CLI options), parsed the same way everywhere they
// are read. Each returns undefined for an absent or empty value and throws `INVALID_ARGUMENT`
// with a message naming the parameter, what it expects and the value it got.

/**
 * A point in time: ISO-8601 (`2026-01-31T12:00:00Z`) or a duration back from `now` (`24h`).
 *
 * @throws {CoreError} `INVALID_ARGUMENT`
 */
export function timeParam(value: string | undefined, name: string, now: Date): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const problem = `${name}: expected an ISO-8601 time (2026-01-31T12:00:00Z) or a duration back from now (24h), got ${JSON.stringify(value)}`;
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) {
    return new Date(now.getTime() - durationOrThrow(value, name, problem));
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new CoreError('INVALID_ARGUMENT', problem);
  return date;
}

/**
 * A duration in milliseconds (`5m`, `1h`, `1d`, or a number of milliseconds).
 *
 * @throws {CoreError} `INVALID_ARGUMENT`
 */
export function durationParam(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  return durationOrThrow(
    value,
    name,
    `${name}: expected a duration (5m, 1h, 1d), got ${JSON.stringify(value)}`,
  );
}

/**
 * A whole number from `min` to `max`.
 *
 * @throws {CoreError} `INVALID_ARGUMENT`
 */
export function integerParam(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `${name}: expected a whole number from ${String(min)} to ${String(max)}, got ${JSON.stringify(value)}`,
    );
  }
  return number;
}

function durationOrThrow(value: string, name: string, problem: string): number {
  try {
    return parseDuration(value, name);
  } catch (error) {
    if (!isCoreError(error)) throw error;
    throw new CoreError('INVALID_ARGUMENT', problem, { cause: error });
  }
}
