import { describe, expect, it } from 'vitest';
import { encodeRow, formatTimestamp } from './encode-row.js';
import type { SinkRow } from './sink-row.js';

const row: SinkRow = {
  eventId: 'a',
  seq: 7n,
  eventType: 'INSERT',
  entityType: 'order',
  entityId: '1',
  tenantId: '',
  userId: '',
  timestampMicros: 1_700_000_000_123_456n,
  data: '{"q":"\\"x\\n"}',
};

describe('encodeRow', () => {
  it('writes one JSON line with microseconds on DateTime64 and seconds otherwise', () => {
    const modern = encodeRow(row, true);
    const old = encodeRow(row, false);
    if ('error' in modern || 'error' in old) throw new Error('unexpected');
    expect(JSON.parse(modern.line)).toMatchObject({
      seq: 7,
      timestamp: '2023-11-14 22:13:20.123456',
      data: row.data,
    });
    expect(JSON.parse(old.line)).toMatchObject({ timestamp: '2023-11-14 22:13:20' });
    expect(modern.line).not.toContain('\n');
  });

  it('refuses values the column cannot hold instead of letting them wrap', () => {
    expect(encodeRow({ ...row, timestampMicros: -1n }, false)).toEqual({
      error: expect.stringMatching(/timestamp/) as unknown,
    });
    expect(encodeRow({ ...row, seq: -1n }, true)).toEqual({
      error: expect.stringMatching(/seq/) as unknown,
    });
    expect(encodeRow({ ...row, eventId: '' }, true)).toEqual({ error: 'event_id: empty' });
  });

  it('formats times before 1970 for DateTime64', () => {
    expect(formatTimestamp(-1n, true)).toBe('1969-12-31 23:59:59.999999');
  });
});
