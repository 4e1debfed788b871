import { describe, expect, it } from 'vitest';
import { parseTimestampMicros } from './pg-text.js';

const micros = (iso: string) => Date.parse(iso) * 1000;

describe('parseTimestampMicros', () => {
  it('reads PostgreSQL and ISO timestamp texts to exact microseconds', () => {
    expect(parseTimestampMicros('2024-01-01 00:00:01+00')).toBe(micros('2024-01-01T00:00:01Z'));
    expect(parseTimestampMicros('2024-01-01T00:00:01+00:00')).toBe(micros('2024-01-01T00:00:01Z'));
    expect(parseTimestampMicros('2024-02-29 23:59:59.123456')).toBe(
      micros('2024-02-29T23:59:59.123Z') + 456,
    );
    expect(parseTimestampMicros('2024-06-01 12:00:00.5-05:30')).toBe(
      micros('2024-06-01T17:30:00.500Z'),
    );
    expect(parseTimestampMicros('2024-06-01 12:00:00+0530')).toBe(micros('2024-06-01T06:30:00Z'));
    expect(parseTimestampMicros('1969-12-31 23:59:59.999999Z')).toBe(-1);
    expect(parseTimestampMicros('1900-01-01 00:00:00')).toBe(micros('1900-01-01T00:00:00Z'));
  });

  it('leaves the rarer forms to the full parser and refuses what is not a timestamp', () => {
    // Offset with seconds, BC, a five-digit year, far future (beyond a safe number).
    expect(parseTimestampMicros('1900-01-01 00:00:00+00:19:32')).toBe(
      micros('1900-01-01T00:00:00Z') - 1172 * 1_000_000,
    );
    expect(parseTimestampMicros('0044-03-15 12:00:00 BC')! < -62_000_000_000_000_000n).toBe(true);
    expect(parseTimestampMicros('9999-12-31 23:59:59.999999+00')).toBe(253_402_300_799_999_999n);
    expect(typeof parseTimestampMicros('12345-01-01 00:00:00+00')).toBe('bigint');
    for (const bad of [
      'infinity',
      '2024-01-01',
      '2024-01-01 00:00:00.1234567',
      '2024-01-01 00:00:00.',
      '2024-01-01 00:00:00+',
      '2024-01-01 0a:00:00',
      '2024-01-01 00:00:00 junk',
    ]) {
      expect(parseTimestampMicros(bad), bad).toBeUndefined();
    }
  });
});
