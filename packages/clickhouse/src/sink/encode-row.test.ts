import { describe, expect, it } from 'vitest';
import { encodeRow, formatTimestamp, tsvField } from './encode-row.js';
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
  it('writes one TabSeparated line with microseconds on DateTime64 and seconds otherwise', () => {
    const modern = encodeRow(row, true);
    const old = encodeRow(row, false);
    if ('error' in modern || 'error' in old) throw new Error('unexpected');
    const text = modern.line;
    expect(text.endsWith('\n')).toBe(true);
    expect(text.slice(0, -1).split('\t')).toEqual([
      'a',
      '7',
      'INSERT',
      'order',
      '1',
      '',
      '',
      '2023-11-14 22:13:20.123456',
      '{"q":"\\\\"x\\\\n"}',
      String(Buffer.byteLength(row.data)),
    ]);
    expect(old.line.split('\t')[7]).toBe('2023-11-14 22:13:20');
    expect(text.indexOf('\n')).toBe(text.length - 1);
    expect(modern.bytes).toBe(Buffer.byteLength(modern.line));
  });

  it('escapes tabs, newlines, carriage returns, NULs and backslashes in every text field', () => {
    expect(tsvField('a\tb\nc\rd\0e\\f')).toBe('a\\tb\\nc\\rd\\0e\\\\f');
    expect(tsvField('plain ünïcode')).toBe('plain ünïcode');
    const hostile = encodeRow({ ...row, entityId: 'x\ty', tenantId: 'line\nbreak' }, false);
    if ('error' in hostile) throw new Error('unexpected');
    const line = hostile.line;
    expect(line.split('\t')).toHaveLength(10);
    expect(line.indexOf('\n')).toBe(line.length - 1);
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

  it('formats each time right when consecutive rows change second, or go back to one', () => {
    const at = 1_700_000_000_000_000n;
    expect(formatTimestamp(at + 999_999n, true)).toBe('2023-11-14 22:13:20.999999');
    expect(formatTimestamp(at + 1_000_000n, true)).toBe('2023-11-14 22:13:21.000000');
    expect(formatTimestamp(at + 1_000_001n, false)).toBe('2023-11-14 22:13:21');
    expect(formatTimestamp(at, false)).toBe('2023-11-14 22:13:20');
    expect(formatTimestamp(-1_000_000n, false)).toBe('1969-12-31 23:59:59');
    expect(formatTimestamp(-1_000_001n, true)).toBe('1969-12-31 23:59:58.999999');
  });
});
