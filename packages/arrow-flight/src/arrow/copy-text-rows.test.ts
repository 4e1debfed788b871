import { describe, expect, it } from 'vitest';
import { CopyTextRows } from './copy-text-rows.js';
import { RecordBatcher } from './record-batcher.js';

const COLUMNS = [
  { name: 'id', kind: { kind: 'int32' } },
  { name: 't', kind: { kind: 'utf8' } },
  { name: 'f', kind: { kind: 'float64' } },
  { name: 'at', kind: { kind: 'timestamp', timezone: 'UTC' } },
  { name: 'ok', kind: { kind: 'bool' } },
] as const;

// What COPY TO writes for these rows: escapes, NULLs, non-ASCII text, a timestamp.
const PAYLOAD = Buffer.from(
  [
    '1\ttab\\there\t1.5\t2024-01-01 00:00:00.25+00\tt',
    '2\tnew\\nline \\\\ \\r\\b\\f\\v\t-0.125\t1969-12-31 23:59:59.999999+00\tf',
    '-3\t\\N\tNaN\t\\N\t\\N',
    '4\tünïcødé 🦀\t1e300\t2024-06-01 12:00:00-05:30\tt',
    '5\t\\\\N\t\\N\t9999-12-31 23:59:59+00\tf',
    '',
  ].join('\n'),
);
const EXPECTED = {
  id: [1, 2, -3, 4, 5],
  t: ['tab\there', 'new\nline \\ \r\b\f\v', null, 'ünïcødé 🦀', '\\N'],
  f: [1.5, -0.125, NaN, 1e300, null],
  at: [
    1_704_067_200_250_000n,
    -1n,
    null,
    BigInt(Date.UTC(2024, 5, 1, 17, 30)) * 1000n,
    BigInt(Date.UTC(9999, 11, 31, 23, 59, 59)) * 1000n,
  ],
  ok: [true, false, null, true, false],
};

function read(chunks: readonly Buffer[], rows = 1000) {
  const batcher = new RecordBatcher(COLUMNS, { rows, bytes: 1 << 20 });
  const copy = new CopyTextRows(batcher);
  const batches = chunks.flatMap((chunk) => copy.push(chunk));
  copy.end();
  const last = batcher.flush();
  if (last !== undefined) batches.push(last);
  const column = (name: string) =>
    batches.flatMap((batch) => {
      const vector = batch.getChild(name)!;
      return Array.from({ length: batch.numRows }, (_, i) => {
        if (!vector.isValid(i)) return null;
        return name === 'at'
          ? (vector.data[0]!.values as BigInt64Array)[i]!
          : (vector.get(i) as unknown);
      });
    });
  return { batches, values: Object.fromEntries(COLUMNS.map((c) => [c.name, column(c.name)])) };
}

describe('CopyTextRows', () => {
  it('reads escapes, NULLs, UTF-8 and every kind from COPY text', () => {
    expect(read([PAYLOAD]).values).toEqual(EXPECTED);
  });

  it('gives the same rows wherever the chunks are cut', () => {
    for (let cut = 1; cut < PAYLOAD.length; cut++) {
      const { values } = read([PAYLOAD.subarray(0, cut), PAYLOAD.subarray(cut)]);
      expect(values, `cut at ${String(cut)}`).toEqual(EXPECTED);
    }
    // One byte at a time.
    const bytes = Array.from({ length: PAYLOAD.length }, (_, i) => PAYLOAD.subarray(i, i + 1));
    expect(read(bytes).values).toEqual(EXPECTED);
  });

  it('cuts batches at the row limit', () => {
    expect(read([PAYLOAD], 2).batches.map((batch) => batch.numRows)).toEqual([2, 2, 1]);
  });

  it('refuses a row with another field count and a stream that ends inside a row', () => {
    const batcher = new RecordBatcher(COLUMNS, { rows: 10, bytes: 1 << 20 });
    expect(() => new CopyTextRows(batcher).push(Buffer.from('1\tx\n'))).toThrow(/field count/);
    const copy = new CopyTextRows(new RecordBatcher(COLUMNS, { rows: 10, bytes: 1 << 20 }));
    copy.push(Buffer.from('1\tx\t1\t\\N'));
    expect(() => {
      copy.end();
    }).toThrow(/inside a row/);
  });
});

describe('ColumnBuilder.appendText', () => {
  const samples: Record<string, readonly string[]> = {
    int16: ['0', '-32768', '32767', '32768', '12a', '', '-'],
    int32: ['2147483647', '-2147483648', '2147483648', '007', '1.5', '１２'],
    int64: ['9223372036854775807', '-9223372036854775808', '123456789012345', '1e3', 'x'],
    float64: [
      '1.5',
      '-0',
      '0.1',
      '1e-300',
      'NaN',
      'Infinity',
      '-Infinity',
      '12345678901234567',
      'x',
    ],
    bool: ['t', 'f', 'true', 'false', 'TRUE', 'yes', 'tru', 'x', ''],
    timestamp: [
      '2024-01-01 00:00:00+00',
      '2024-01-01T00:00:01.5+00:00',
      '1900-01-01 00:00:00+00:19:32',
      '0044-03-15 12:00:00 BC',
      'infinity',
      '2024-13-01 00:00:00',
    ],
    date: ['2024-02-29', '0001-01-01', '1999-12-31 BC', 'x'],
    time: ['23:59:59.999999', '00:00:00', '25:00'],
    decimal: ['1.5', '-12345678901234567890.1234567890', 'NaN', 'x'],
    utf8: ['', 'plain', 'ünïcødé 🦀 漢字', 'é'.repeat(300)],
    binary: ['\\x00ff', '\\x', 'raw'],
  };
  it('reads each kind from bytes to the value append() reads from the same text', () => {
    for (const [kind, texts] of Object.entries(samples)) {
      const columnKind = (
        kind === 'decimal'
          ? { kind, precision: 38, scale: 10 }
          : kind === 'timestamp'
            ? { kind, timezone: 'UTC' }
            : { kind }
      ) as never;
      const viaText = new RecordBatcher([{ name: 'v', kind: columnKind }], {
        rows: 1000,
        bytes: 1 << 20,
      });
      const viaBytes = new RecordBatcher([{ name: 'v', kind: columnKind }], {
        rows: 1000,
        bytes: 1 << 20,
      });
      for (const text of texts) {
        viaText.append([text]);
        const bytes = Buffer.from(`\t${text}\t`);
        viaBytes.builders[0]!.appendText(bytes, 1, bytes.length - 1);
        viaBytes.endRow();
      }
      const a = viaText.flush()!.getChild('v')!;
      const b = viaBytes.flush()!.getChild('v')!;
      for (let i = 0; i < texts.length; i++) {
        expect(b.isValid(i), `${kind} ${texts[i]!}`).toBe(a.isValid(i));
        expect(b.get(i), `${kind} ${texts[i]!}`).toEqual(a.get(i));
      }
    }
  });
});
