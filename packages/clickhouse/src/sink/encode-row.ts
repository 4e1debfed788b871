import type { SinkRow } from './sink-row.js';

const MAX_UINT64 = (1n << 64n) - 1n;
// DateTime('UTC') covers 1970-01-01 … 2106-02-07; DateTime64 1900-01-01 … 2299-12-31.
const DATETIME_MAX_MICROS = 4_294_967_295n * 1_000_000n;
const DATETIME64_MIN_MICROS = -2_208_988_800n * 1_000_000n;
const DATETIME64_MAX_MICROS = 10_413_791_999n * 1_000_000n;

/** A row as one `TabSeparated` line plus what the batch limits count. */
export interface EncodedRow {
  /**
   * The line, newline included: a batch body is these lines end to end, encoded to UTF-8 once
   * per batch (one buffer per row would cost an allocation and a copy per row).
   */
  readonly line: string;
  /** The line's length in UTF-8 bytes. */
  readonly bytes: number;
}

// TabSeparated escapes: a field holds any text once these are escaped.
const NEEDS_ESCAPE = /[\\\t\n\r\0]/;
const ESCAPED = /[\\\t\n\r\0]/g;
const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\0': '\\0',
};

/** `value` as one `TabSeparated` field. */
export function tsvField(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPED, (c) => ESCAPES[c] ?? c) : value;
}

/**
 * Encodes a row as one `TabSeparated` line for the raw table, columns in `RAW_COLUMNS`
 * order. Returns `{ error }` for a value the column cannot hold (so it is dead-lettered rather
 * than silently wrapped by the server); the event kind is left to the server's Enum to judge.
 */
export function encodeRow(
  row: SinkRow,
  dateTime64: boolean,
): EncodedRow | { readonly error: string } {
  if (row.eventId === '') return { error: 'event_id: empty' };
  if (row.seq < 0n || row.seq > MAX_UINT64)
    return { error: `seq: ${String(row.seq)} out of range` };
  const micros = row.timestampMicros;
  const low = dateTime64 ? DATETIME64_MIN_MICROS : 0n;
  const high = dateTime64 ? DATETIME64_MAX_MICROS : DATETIME_MAX_MICROS;
  if (micros < low || micros > high) {
    return { error: `timestamp: ${String(micros)} µs is outside what the column holds` };
  }
  const payloadBytes = Buffer.byteLength(row.data);
  const line =
    `${tsvField(row.eventId)}\t${String(row.seq)}\t${tsvField(row.eventType)}\t` +
    `${tsvField(row.entityType)}\t${tsvField(row.entityId)}\t${tsvField(row.tenantId)}\t` +
    `${tsvField(row.userId)}\t${formatTimestamp(micros, dateTime64)}\t${tsvField(row.data)}\t` +
    `${String(Math.min(payloadBytes, 4_294_967_295))}\n`;
  return { line, bytes: Buffer.byteLength(line) };
}

// Rows of one batch mostly share their commit second: its text is formatted once.
let cachedSecond: bigint | undefined;
let cachedText = '';

/** `YYYY-MM-DD hh:mm:ss[.ffffff]` in UTC, as ClickHouse parses it for (Date)Time columns. */
export function formatTimestamp(micros: bigint, withFraction: boolean): string {
  const fraction = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const second = micros - fraction;
  if (second !== cachedSecond) {
    const iso = new Date(Number(second / 1000n)).toISOString(); // 2024-01-02T03:04:05.000Z
    cachedText = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
    cachedSecond = second;
  }
  if (!withFraction) return cachedText;
  return `${cachedText}.${fraction.toString().padStart(6, '0')}`;
}
