import { DataType, type Decimal, type Timestamp, type Vector } from 'apache-arrow';

/** A value PostgreSQL accepts as a text parameter (or a JSON scalar for a ticket). */
export type PgParameter = string | number | boolean | null;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** A µs epoch as PostgreSQL's ISO text (UTC, explicit offset). */
function microsToIso(micros: bigint): string {
  const ms = micros / 1000n;
  const rest = micros % 1000n;
  const date = new Date(Number(ms));
  if (Number.isNaN(date.getTime())) return '';
  const fraction = `${pad(date.getUTCMilliseconds(), 3)}${pad(Number(rest < 0n ? -rest : rest), 3)}`;
  const year = date.getUTCFullYear();
  const era = year <= 0 ? ' BC' : '';
  const shownYear = year <= 0 ? 1 - year : year;
  return `${pad(shownYear, 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${fraction}+00${era}`;
}

function timestampMicros(vector: Vector, index: number): bigint | undefined {
  const type = vector.type as Timestamp;
  const chunk = vector.data.length === 1 ? vector.data[0] : undefined;
  const raw =
    chunk === undefined ? undefined : (chunk.values as BigInt64Array | undefined)?.[index];
  if (raw === undefined) {
    const ms = vector.get(index) as number | null;
    return ms === null ? undefined : BigInt(Math.round(ms * 1000));
  }
  // TimeUnit: 0 second, 1 millisecond, 2 microsecond, 3 nanosecond.
  const unit: number = type.unit;
  if (unit === 0) return raw * 1_000_000n;
  if (unit === 1) return raw * 1000n;
  if (unit === 2) return raw;
  return raw / 1000n;
}

function decimalText(vector: Vector, index: number): string | null {
  const type = vector.type as Decimal;
  const chunk = vector.data.length === 1 ? vector.data[0] : undefined;
  const words = chunk?.values as Uint32Array | undefined;
  if (words === undefined) return String(vector.get(index));
  const stride = type.bitWidth / 32;
  let unscaled = 0n;
  for (let w = stride - 1; w >= 0; w--) {
    unscaled = (unscaled << 32n) | BigInt(words[index * stride + w] ?? 0);
  }
  const bits = BigInt(type.bitWidth);
  if (unscaled >> (bits - 1n) === 1n) unscaled -= 1n << bits;
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(type.scale + 1, '0');
  const whole = digits.slice(0, digits.length - type.scale);
  const fraction = digits.slice(digits.length - type.scale);
  return `${negative ? '-' : ''}${whole}${type.scale > 0 ? `.${fraction}` : ''}`;
}

/**
 * One Arrow cell as a PostgreSQL parameter: numbers and booleans as they are, int64 and
 * decimals as exact text, timestamps and dates as ISO text, binary as `\x…` hex, nested
 * values as JSON text. Never throws: what it cannot read becomes null.
 */
export function arrowValueToPg(vector: Vector, index: number): PgParameter {
  try {
    if (!vector.isValid(index)) return null;
    const type: DataType = vector.type as DataType;
    if (DataType.isTimestamp(type)) {
      const micros = timestampMicros(vector, index);
      return micros === undefined ? null : microsToIso(micros);
    }
    if (DataType.isDate(type)) {
      const ms = vector.get(index) as number | Date | null;
      if (ms === null) return null;
      const date = new Date(typeof ms === 'number' ? ms : ms.getTime());
      return date.toISOString().slice(0, 10);
    }
    if (DataType.isDecimal(type)) return decimalText(vector, index);
    const value: unknown = vector.get(index);
    if (value === null || value === undefined) return null;
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
    if (typeof value === 'boolean' || typeof value === 'string') return value;
    if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
    return JSON.stringify(value, (_key, inner: unknown) =>
      typeof inner === 'bigint' ? inner.toString() : inner,
    );
  } catch {
    return null;
  }
}
