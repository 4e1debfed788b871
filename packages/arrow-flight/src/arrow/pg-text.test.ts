import { describe, expect, it } from 'vitest';
import {
  decimalInteger,
  isoTimestampMicrosBytes,
  parseInt64,
  parseTimestampMicros,
  plainDecimalBytes,
} from './pg-text.js';

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

describe('parseTimestampMicros across rows', () => {
  it('gives every row its own date when consecutive rows change day, month and year', () => {
    const texts = [
      '2023-12-31 23:59:59+00',
      '2024-01-01 00:00:00+00',
      '2024-01-01 12:00:00+00',
      '2024-02-29 00:00:00+00',
      '2024-03-01 00:00:00+00',
      '1999-03-01 00:00:00+00',
      '2024-03-01 00:00:01+00',
    ];
    for (const text of texts) {
      expect(parseTimestampMicros(text), text).toBe(
        micros(text.replace(' ', 'T').replace('+00', 'Z')),
      );
    }
  });
});

describe('decimalInteger and parseInt64', () => {
  it('read integer texts exactly, signs included, and refuse what is not an integer', () => {
    expect(decimalInteger('0')).toBe(0);
    expect(Object.is(decimalInteger('-0'), 0)).toBe(true);
    expect(decimalInteger('-2147483648')).toBe(-2147483648);
    expect(decimalInteger('+42')).toBe(42);
    expect(decimalInteger('999999999999999')).toBe(999_999_999_999_999);
    expect(decimalInteger('1e3')).toBe(1000);
    for (const bad of ['', ' ', '+', '-', '12a', '1.5', 'NaN', 'Infinity']) {
      expect(decimalInteger(bad), bad).toBeUndefined();
    }
    expect(parseInt64('-9223372036854775808')).toBe(-9_223_372_036_854_775_808n);
    expect(parseInt64('9223372036854775808')).toBeUndefined();
    expect(parseInt64('123456789012345')).toBe(123_456_789_012_345);
    expect(parseInt64('12345678901234.5')).toBeUndefined();
  });
});

describe('plainDecimalBytes', () => {
  it('reads plain decimals from bytes to the same double as Number()', () => {
    let seed = 20261206;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const samples = ['0', '-0', '1.5', '-0.125', '123456789012345', '0.000000000000001', '1.'];
    for (let i = 0; i < 20_000; i++) {
      const digits = 1 + Math.floor(random() * 15);
      let text = '';
      for (let d = 0; d < digits; d++) text += String(Math.floor(random() * 10));
      const point = Math.floor(random() * (digits + 1));
      if (point < digits) text = `${text.slice(0, point) || '0'}.${text.slice(point)}`;
      samples.push(random() < 0.5 ? `-${text}` : text);
    }
    let fast = 0;
    for (const text of samples) {
      const value = plainDecimalBytes(Buffer.from(text), 0, text.length);
      // Undefined hands the text to Number() (more than 15 digits with leading zeros).
      if (value === undefined) continue;
      fast++;
      expect(Object.is(value, Number(text)), text).toBe(true);
    }
    expect(fast).toBeGreaterThan(samples.length * 0.9);
  });

  it('leaves exponents, NaN, Infinity and long mantissas to Number()', () => {
    for (const text of [
      '1e300',
      'NaN',
      'Infinity',
      '-Infinity',
      '1234567890123456',
      '',
      '-',
      '1.2.3',
    ]) {
      expect(plainDecimalBytes(Buffer.from(text), 0, text.length), text).toBeUndefined();
    }
  });
});

describe('isoTimestampMicrosBytes', () => {
  it('reads a timestamp inside a larger buffer as the string parser does', () => {
    for (const text of [
      '2024-01-01 00:00:01+00',
      '2024-02-29 23:59:59.123456',
      '2024-06-01 12:00:00.5-05:30',
      '1969-12-31 23:59:59.999999Z',
      '1900-01-01 00:00:00',
    ]) {
      const padded = Buffer.from(`xx\t${text}\tyy`);
      expect(isoTimestampMicrosBytes(padded, 3, 3 + text.length), text).toBe(
        parseTimestampMicros(text),
      );
    }
    expect(isoTimestampMicrosBytes(Buffer.from('2024-01-01'), 0, 10)).toBeUndefined();
    // Not ASCII: the string form refuses it rather than reading the low bytes.
    expect(parseTimestampMicros('2024-01-01 00:00:0\u0132')).toBeUndefined();
  });
});
