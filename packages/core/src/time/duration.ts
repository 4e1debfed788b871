import { CoreError } from '../errors/core-error.js';

/** A duration as config accepts it: milliseconds as a number, or text such as `"30s"` or `"1h30m"`. */
export type DurationInput = number | string;

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/gy;

/**
 * Parses a duration into milliseconds. Numbers (and numeric strings) are milliseconds; text is
 * one or more `<number><unit>` parts with units `ms s m h d w` (`"250ms"`, `"5m"`, `"1h30m"`).
 *
 * @throws {CoreError} `INVALID_DURATION` for negative, non-finite or unparseable input.
 * @example parseDuration('30s') // 30000
 */
export function parseDuration(input: DurationInput, path = 'duration'): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) {
      throw invalid(path, input, 'expected a finite number of milliseconds >= 0');
    }
    return input;
  }
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === '') throw invalid(path, input, 'expected a duration such as "30s"');
  let total = 0;
  PART.lastIndex = 0;
  let consumed = 0;
  for (let match = PART.exec(text); match !== null; match = PART.exec(text)) {
    const [whole, amount, unit] = match;
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
    consumed += whole.length;
    while (text[consumed] === ' ') consumed += 1;
    PART.lastIndex = consumed;
  }
  if (consumed !== text.length || !Number.isFinite(total)) {
    throw invalid(
      path,
      input,
      'expected <number><unit> parts with units ms, s, m, h, d, w (for example "30s", "1h30m")',
    );
  }
  return Math.round(total);
}

function invalid(path: string, input: unknown, hint: string): CoreError {
  return new CoreError('INVALID_DURATION', `${path}: ${hint}, got ${JSON.stringify(input)}`, {
    details: { path, value: input },
  });
}
