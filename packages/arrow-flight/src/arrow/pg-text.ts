// Parsers of PostgreSQL's text output (DateStyle ISO) into the integers Arrow stores. They also
// accept the values drivers produce when they parse themselves (number, bigint, Date, boolean),
// and return undefined for text they cannot read, which the builders store as null.

const TIMESTAMP =
  /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?|Z)?( BC)?$/;
const DATE = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/;
const TIME = /^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;

/** Days from 1970-01-01 to a proleptic Gregorian date (any year, BC as year ≤ 0). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function fraction(digits: string | undefined): number {
  if (digits === undefined) return 0;
  return Number(digits.padEnd(6, '0'));
}

/** Two decimal digits at `at`, or -1. */
function twoDigits(text: Uint8Array, at: number): number {
  const a = (text[at] ?? 0) - 48;
  const b = (text[at + 1] ?? 0) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

let lastDate = -1;
let lastDays = 0;

const SCRATCH = Buffer.alloc(64);

/** {@link isoTimestampMicrosBytes} of a string (ASCII only; undefined otherwise). */
function isoTimestampMicros(text: string): number | undefined {
  if (text.length > SCRATCH.length) return undefined;
  const length = SCRATCH.write(text, 0, 'utf8');
  return length === text.length ? isoTimestampMicrosBytes(SCRATCH, 0, length) : undefined;
}

/**
 * The common shape of a timestamp text in `bytes[start, end)`, read without a regular
 * expression or a string: `YYYY-MM-DD HH:MM:SS[.ffffff][Z|±HH[:MM]]` (or `T` between date and
 * time), within about ±285 years of 1970. Undefined for anything else, which the full parser
 * then reads.
 */
export function isoTimestampMicrosBytes(
  text: Uint8Array,
  start: number,
  end: number,
): number | undefined {
  const o = start;
  if (
    end - o < 19 ||
    text[o + 4] !== 45 ||
    text[o + 7] !== 45 ||
    text[o + 13] !== 58 ||
    text[o + 16] !== 58
  ) {
    return undefined;
  }
  const separator = text[o + 10];
  if (separator !== 32 && separator !== 84) return undefined;
  const century = twoDigits(text, o);
  const yy = twoDigits(text, o + 2);
  const month = twoDigits(text, o + 5);
  const day = twoDigits(text, o + 8);
  const hour = twoDigits(text, o + 11);
  const minute = twoDigits(text, o + 14);
  const second = twoDigits(text, o + 17);
  if ((century | yy | month | day | hour | minute | second) < 0) return undefined;
  // Rows of one read mostly share their dates: the day count of the last date is kept.
  const date = ((century * 100 + yy) * 100 + month) * 100 + day;
  if (date !== lastDate) {
    lastDays = daysFromCivil(century * 100 + yy, month, day);
    lastDate = date;
  }
  const days = lastDays;
  let at = o + 19;
  let micros = 0;
  if (at < end && text[at] === 46) {
    const first = ++at;
    let scale = 100_000;
    for (; at < end; at++) {
      const digit = (text[at] ?? 0) - 48;
      if (digit < 0 || digit > 9) break;
      if (at - first === 6) return undefined;
      micros += digit * scale;
      scale /= 10;
    }
    if (at === first) return undefined;
  }
  let offset = 0;
  if (at < end) {
    const sign = text[at];
    if (sign === 90) {
      at++;
    } else if (sign === 43 || sign === 45) {
      const hours = twoDigits(text, at + 1);
      if (hours < 0) return undefined;
      at += 3;
      let minutes = 0;
      if (at < end) {
        if (text[at] === 58) at++;
        minutes = twoDigits(text, at);
        if (minutes < 0) return undefined;
        at += 2;
      }
      offset = (hours * 3600 + minutes * 60) * (sign === 43 ? 1 : -1);
    } else {
      return undefined;
    }
  }
  if (at !== end) return undefined;
  const seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
  return Math.abs(seconds) < 9_000_000_000 ? seconds * 1_000_000 + micros : undefined;
}

/**
 * A plain decimal (`-12.345`, at most 15 digits, no exponent) in `bytes[start, end)` as the
 * nearest double, without a string: the digits as an integer divided by a power of ten, one
 * correctly rounded division of two exact values. Undefined for other text (exponents, NaN,
 * Infinity, more digits), which `Number` then reads.
 */
export function plainDecimalBytes(
  bytes: Uint8Array,
  start: number,
  end: number,
): number | undefined {
  let at = start;
  const negative = bytes[at] === 45;
  if (negative) at++;
  let digits = 0;
  let value = 0;
  let scale = 0;
  let point = false;
  for (; at < end; at++) {
    const byte = bytes[at] ?? 0;
    if (byte === 46 && !point) {
      point = true;
      continue;
    }
    const digit = byte - 48;
    if (digit < 0 || digit > 9 || ++digits > 15) return undefined;
    value = value * 10 + digit;
    if (point) scale++;
  }
  if (digits === 0) return undefined;
  const result = scale === 0 ? value : value / (POWERS_OF_TEN[scale] ?? 10 ** scale);
  return negative ? -result : result;
}

const POWERS_OF_TEN = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * Microseconds since the epoch (UTC) of a `timestamp`/`timestamptz` text, as a number when it
 * is exact (within about ±285 years of 1970) or a bigint beyond. `infinity` gives undefined.
 */
export function parseTimestampMicros(value: unknown): number | bigint | undefined {
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? undefined : ms * 1000;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return int64OrUndefined(value);
  if (typeof value !== 'string') return undefined;
  const fast = isoTimestampMicros(value);
  if (fast !== undefined) return fast;
  const match = TIMESTAMP.exec(value);
  if (match === null) return undefined;
  let year = Number(match[1]);
  if (match[12] !== undefined) year = 1 - year;
  const days = daysFromCivil(year, Number(match[2]), Number(match[3]));
  let seconds = days * 86_400 + Number(match[4]) * 3600 + Number(match[5]) * 60 + Number(match[6]);
  if (match[8] !== undefined) {
    const offset = Number(match[9]) * 3600 + Number(match[10] ?? 0) * 60 + Number(match[11] ?? 0);
    seconds -= match[8] === '-' ? -offset : offset;
  }
  const micros = fraction(match[7]);
  if (Math.abs(seconds) < 9_000_000_000) return seconds * 1_000_000 + micros;
  return int64OrUndefined(BigInt(seconds) * 1_000_000n + BigInt(micros));
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The value when it fits a signed 64-bit integer, else undefined (stored as null). */
export function int64OrUndefined(value: bigint): bigint | undefined {
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/** Days since the epoch of a `date` text (or Date); `infinity` gives undefined. */
export function parseDateDays(value: unknown): number | undefined {
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? undefined : Math.floor(ms / 86_400_000);
  }
  if (typeof value !== 'string') return undefined;
  const match = DATE.exec(value);
  if (match === null) return undefined;
  let year = Number(match[1]);
  if (match[4] !== undefined) year = 1 - year;
  return daysFromCivil(year, Number(match[2]), Number(match[3]));
}

/** Microseconds since midnight of a `time` text. */
export function parseTimeMicros(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TIME.exec(value);
  if (match === null) return undefined;
  return (
    (Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3])) * 1_000_000 +
    fraction(match[4])
  );
}

/** A 64-bit integer from text, number or bigint: a number when exact, else a bigint. */
export function parseInt64(value: unknown): number | bigint | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? value : undefined;
  }
  if (typeof value === 'bigint') return int64OrUndefined(value);
  if (typeof value !== 'string' || value === '') return undefined;
  if (value.length <= 15) return decimalInteger(value);
  try {
    return int64OrUndefined(BigInt(value));
  } catch {
    return undefined;
  }
}

/**
 * A decimal integer text of at most 15 digits (`-123`, `+7`): read digit by digit, which is
 * several times faster than `Number()` for the short texts PostgreSQL sends; anything else
 * (spaces, exponents, more digits) goes through `Number()`.
 */
export function decimalInteger(text: string): number | undefined {
  const length = text.length;
  let at = 0;
  let sign = 1;
  const first = text.charCodeAt(0);
  if (first === 45 || first === 43) {
    sign = first === 45 ? -1 : 1;
    at = 1;
  }
  if (at < length && length <= 16) {
    let value = 0;
    for (; at < length; at++) {
      const digit = text.charCodeAt(at) - 48;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    if (at === length) return sign * value + 0;
  }
  const parsed = Number(text);
  return text.trim() !== '' && Number.isInteger(parsed) ? parsed : undefined;
}

/**
 * The unscaled integer of a decimal text at `scale` (`'12.3'` at scale 2 → 1230n); undefined
 * for NaN/Infinity or text that is not a decimal number, or one that needs more digits.
 */
export function parseDecimalUnscaled(value: unknown, scale: number): bigint | undefined {
  const text = typeof value === 'number' || typeof value === 'bigint' ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (match === null || (match[2] === '' && (match[3] ?? '') === '')) return undefined;
  const fractionDigits = match[3] ?? '';
  if (fractionDigits.length > scale && /[1-9]/.test(fractionDigits.slice(scale))) return undefined;
  const digits = (match[2] ?? '') + fractionDigits.slice(0, scale).padEnd(scale, '0');
  const unscaled = BigInt(digits === '' ? '0' : digits);
  return match[1] === '-' ? -unscaled : unscaled;
}

/** A boolean from PostgreSQL's `t`/`f` text or a JS boolean. */
export function parseBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 't' || value === 'true') return true;
  if (value === 'f' || value === 'false') return false;
  return undefined;
}

/** A float from text (`NaN`, `Infinity`, `-Infinity` included) or a number. */
export function parseFloat64(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string' || value === '') return undefined;
  const parsed = Number(value);
  return Number.isNaN(parsed) && value !== 'NaN' ? undefined : parsed;
}
