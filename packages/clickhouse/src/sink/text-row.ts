import type { ChangeLogReaderTextPage, ChangeLogTextSelect } from '@fraiseql/core';
import type { PendingRow } from './pending-row.js';
import type { RowAck } from './row-ack.js';
import type { SinkRow } from './sink-row.js';

const TAB = 0x09;
const BACKSLASH = 0x5c;

// The document the event carries (`changeLogRowToEvent`'s `data`) for the rows `when` admits:
// the after-image, the before-image of a DELETE, `{}` for a DELETE or CUSTOM row without one.
const DATA = `(CASE l.modification_type
    WHEN 'DELETE' THEN coalesce(l.object_data_before, l.object_data, '{}'::jsonb)
    WHEN 'CUSTOM' THEN coalesce(l.object_data, '{}'::jsonb)
    ELSE l.object_data END)::text`;
// Commit time truncated to the millisecond toward zero, as the event's `Date` holds it.
const MILLIS = 'trunc(extract(epoch FROM l.created_at) * 1000)';

/**
 * The change-log rows whose raw-table line PostgreSQL can write itself, exactly as
 * `changeLogRowToEvent` → `eventToRow` → `encodeRow` would: one of the four event kinds, a key,
 * an id, an entity, an object document that is not a Debezium-style envelope (or none, for
 * DELETE and CUSTOM), an object or no pre-image, metadata `changeLogRowToEvent` accepts, and a
 * commit time that both column types hold. Every other row is converted in JavaScript (which
 * unwraps envelopes, dead-letters what is malformed and skips `NOOP` rows).
 */
const WHEN = `l.modification_type IN ('INSERT', 'UPDATE', 'DELETE', 'CUSTOM')
  AND l.pk_entity_change_log >= 0
  AND l.id::text <> '' AND l.object_type <> '' AND l.object_id::text <> ''
  AND l.created_at > '1970-01-02 00:00:00+00' AND l.created_at < '2106-02-06 00:00:00+00'
  AND CASE WHEN l.object_data IS NULL THEN l.modification_type IN ('DELETE', 'CUSTOM')
      ELSE jsonb_typeof(l.object_data) = 'object'
        AND NOT (l.object_data ? 'op' AND l.object_data ? 'before' AND l.object_data ? 'after')
      END
  AND (l.object_data_before IS NULL OR jsonb_typeof(l.object_data_before) = 'object')
  AND (l.extra_metadata IS NULL OR (jsonb_typeof(l.extra_metadata) = 'object'
    AND coalesce(jsonb_typeof(l.extra_metadata -> 'source_table'), 'null') IN ('string', 'null')
    AND coalesce(jsonb_typeof(l.extra_metadata -> 'traceparent'), 'null') IN ('string', 'null')))`;

/**
 * What the sink asks the change-log reader to write per row: the commit time in microseconds,
 * then the raw table's columns in `RAW_COLUMNS` order, so each line after its first column is
 * the `TabSeparated` line as it is sent (COPY's text escapes are ones ClickHouse reads).
 */
export function changeLogTextSelect(dateTime64: boolean): ChangeLogTextSelect {
  const format = dateTime64 ? 'YYYY-MM-DD HH24:MI:SS.US' : 'YYYY-MM-DD HH24:MI:SS';
  return {
    when: WHEN,
    select: [
      `(${MILLIS} * 1000)::bigint`,
      'l.id::text',
      'l.pk_entity_change_log',
      'l.modification_type',
      'l.object_type',
      'l.object_id::text',
      "coalesce(l.tenant_id::text, '')",
      "coalesce(l.fk_contact::text, '')",
      `to_char(to_timestamp(${MILLIS} / 1000) AT TIME ZONE 'UTC', '${format}')`,
      DATA,
      `octet_length(${DATA})`,
    ],
  };
}

/** A row read as text: its line is a slice of the page; its columns are decoded on demand. */
class TextRow implements PendingRow {
  #row: SinkRow | undefined;

  constructor(
    readonly eventId: string,
    readonly seq: bigint,
    readonly timestampMicros: bigint,
    readonly line: Buffer,
    readonly ack: RowAck | undefined,
    public at: number,
  ) {}

  get bytes(): number {
    return this.line.length;
  }

  get row(): SinkRow {
    return (this.#row ??= decodeLine(this.line, this.timestampMicros));
  }
}

/** The admitted rows of a text page as pending rows (the others are the page's events). */
export function textRows(
  page: Pick<ChangeLogReaderTextPage, 'buffers' | 'starts' | 'ends'>,
  ack: RowAck | undefined,
  now: number,
): PendingRow[] {
  const { buffers, starts, ends } = page;
  const rows: PendingRow[] = new Array<PendingRow>(starts.length);
  for (let i = 0; i < starts.length; i++) {
    const text = buffers[i];
    const start = starts[i] ?? 0;
    const end = ends[i] ?? 0;
    if (text === undefined) throw new Error('clickhouse: a change-log text row without its bytes');
    const micros = text.indexOf(TAB, start);
    const id = text.indexOf(TAB, micros + 1);
    const seq = text.indexOf(TAB, id + 1);
    if (micros < 0 || seq < 0 || seq >= end) {
      throw new Error('clickhouse: a change-log text line without its columns');
    }
    rows[i] = new TextRow(
      field(text, micros + 1, id),
      integer(text, id + 1, seq),
      integer(text, start, micros),
      text.subarray(micros + 1, end),
      ack,
      now,
    );
  }
  return rows;
}

/** A decimal integer column (an optional minus sign, then digits). */
function integer(text: Buffer, start: number, end: number): bigint {
  const negative = text[start] === 0x2d;
  const first = negative ? start + 1 : start;
  if (end - first > 15) return BigInt(text.toString('latin1', start, end));
  let value = 0;
  for (let at = first; at < end; at++) value = value * 10 + ((text[at] ?? 0x30) - 0x30);
  return BigInt(negative ? -value : value);
}

/** One column's text: UTF-8, unescaped as ClickHouse reads `TabSeparated`. */
function field(text: Buffer, start: number, end: number): string {
  for (let at = start; at < end; at++) {
    if (text[at] === BACKSLASH) return unescapeField(text.subarray(start, end));
  }
  return text.toString('utf8', start, end);
}

const UNESCAPED: Readonly<Record<number, number>> = {
  0x30: 0x00, // 0
  0x61: 0x07, // a
  0x62: 0x08, // b
  0x65: 0x1b, // e
  0x66: 0x0c, // f
  0x6e: 0x0a, // n
  0x72: 0x0d, // r
  0x74: 0x09, // t
  0x76: 0x0b, // v
};

/** Undoes `TabSeparated` escapes: `\b \f \n \r \t \v \0 \a \e`, and `\c` is `c` otherwise. */
export function unescapeField(bytes: Uint8Array): string {
  const out = Buffer.allocUnsafe(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    let byte = bytes[i] ?? 0;
    if (byte === BACKSLASH && i + 1 < bytes.length) {
      i += 1;
      const next = bytes[i] ?? 0;
      byte = UNESCAPED[next] ?? next;
    }
    out[length++] = byte;
  }
  return out.toString('utf8', 0, length);
}

/** The columns of a raw-table line (`RAW_COLUMNS` order, newline included). */
export function decodeLine(line: Buffer, timestampMicros: bigint): SinkRow {
  const fields: string[] = [];
  let start = 0;
  for (let i = 0; i <= line.length; i++) {
    if (i === line.length || line[i] === TAB || line[i] === 0x0a) {
      fields.push(field(line, start, i));
      start = i + 1;
      if (i < line.length && line[i] === 0x0a) break;
    }
  }
  const [eventId = '', seq = '0', eventType = '', entityType = '', entityId = ''] = fields;
  const [tenantId = '', userId = '', , data = 'null'] = fields.slice(5);
  return {
    eventId,
    seq: /^\d+$/.test(seq) ? BigInt(seq) : 0n,
    eventType,
    entityType,
    entityId,
    tenantId,
    userId,
    timestampMicros,
    data,
  };
}
