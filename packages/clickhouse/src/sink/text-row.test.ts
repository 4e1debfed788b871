import { describe, expect, it } from 'vitest';
import { encodeRow } from './encode-row.js';
import { RowAck } from './row-ack.js';
import type { SinkRow } from './sink-row.js';
import { decodeLine, textRows, unescapeField } from './text-row.js';

const NASTY = 'a\tb\nc\rd\\e\bf\fg\vh\u0001i\\Nk é😀';

const row = (overrides: Partial<SinkRow> = {}): SinkRow => ({
  eventId: 'e-1',
  seq: 42n,
  eventType: 'UPDATE',
  entityType: NASTY,
  entityId: `${NASTY}!`,
  tenantId: 't',
  userId: NASTY,
  timestampMicros: 1_700_000_000_123_000n,
  data: JSON.stringify({ s: NASTY }),
  ...overrides,
});

/**
 * A page as the change-log reader returns it (the micros column, then the line), in two
 * chunks: the rows share the bytes of the chunk they arrived in.
 */
function page(rows: readonly SinkRow[]): {
  buffers: Buffer[];
  starts: Uint32Array;
  ends: Uint32Array;
} {
  const parts: Buffer[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  let offset = 0;
  for (const r of rows) {
    const encoded = encodeRow(r, true);
    if ('error' in encoded) throw new Error(encoded.error);
    // The reader's own columns come first on each line; the row's start after them.
    const prefix = Buffer.from('9\t8\t7\tt\t');
    const line = Buffer.from(`${String(r.timestampMicros)}\t${encoded.line}`);
    parts.push(prefix, line);
    starts.push(offset + prefix.length);
    offset += prefix.length + line.length;
    ends.push(offset);
  }
  const text = Buffer.concat(parts);
  // The first row alone in one chunk, the others in a second one, offsets from its start.
  const cut = ends[0] ?? 0;
  const second = text.subarray(cut);
  return {
    buffers: rows.map((_, i) => (i === 0 ? text.subarray(0, cut) : second)),
    starts: Uint32Array.from(starts.map((start, i) => (i === 0 ? start : start - cut))),
    ends: Uint32Array.from(ends.map((end, i) => (i === 0 ? end : end - cut))),
  };
}

describe('textRows', () => {
  it('reads id, seq and time from each line and keeps the line as bytes for the batch', () => {
    const rows = [
      row(),
      row({ eventId: 'e-2', seq: 9_007_199_254_740_993n, timestampMicros: 5n }),
      row({ eventId: 'e\\3', timestampMicros: -2_000_000_000_000_000n }),
    ];
    const ack = new RowAck(
      3,
      () => undefined,
      () => undefined,
    );
    const pending = textRows(page(rows), ack, 123);
    expect(
      pending.map(({ eventId, seq, timestampMicros, at }) => ({
        eventId,
        seq,
        timestampMicros,
        at,
      })),
    ).toEqual(
      rows.map(({ eventId, seq, timestampMicros }) => ({ eventId, seq, timestampMicros, at: 123 })),
    );
    for (const [i, pendingRow] of pending.entries()) {
      const encoded = encodeRow(rows[i] ?? row(), true);
      if ('error' in encoded) throw new Error(encoded.error);
      expect(Buffer.from(pendingRow.line).toString()).toBe(encoded.line);
      expect(pendingRow.bytes).toBe(encoded.bytes);
      expect(pendingRow.ack).toBe(ack);
      // Decoded on demand (dead letters, repairs): the row that was encoded.
      expect(pendingRow.row).toEqual(rows[i]);
    }
  });
});

describe('decodeLine', () => {
  it('reads back every column encodeRow wrote, whatever the text', () => {
    for (const text of ['', NASTY, '\\', '\\\\N', 'é'.repeat(1000), '\u0000\u007f']) {
      const original = row({ entityType: text, entityId: text, tenantId: text, data: text });
      const encoded = encodeRow(original, false);
      if ('error' in encoded) throw new Error(encoded.error);
      expect(decodeLine(Buffer.from(encoded.line), original.timestampMicros)).toEqual(original);
    }
  });

  it('reads the escapes PostgreSQL COPY writes as ClickHouse does', () => {
    expect(unescapeField(Buffer.from("\\b\\f\\v\\n\\r\\t\\\\\\N\\0\\'x"))).toBe(
      "\b\f\v\n\r\t\\N\u0000'x",
    );
  });
});
