import {
  Float64,
  Int64,
  makeData,
  makeVector,
  Table,
  TimestampMicrosecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';

/**
 * A table with the column types of the DoGet benchmark: int64, float64, plain Utf8 of about
 * 20 bytes, timestamp(µs, UTC).
 */
export function sampleTable(rows: number): Table {
  const ids = new BigInt64Array(rows);
  const values = new Float64Array(rows);
  const names: string[] = new Array<string>(rows);
  const micros = new BigInt64Array(rows);
  const base = BigInt(Date.UTC(2024, 0, 1)) * 1000n;
  for (let i = 0; i < rows; i++) {
    ids[i] = BigInt(i);
    values[i] = i * 1.5;
    names[i] = `name-${String(i).padStart(15, '0')}`;
    micros[i] = base + BigInt(i) * 1_000_000n;
  }
  return new Table({
    id: makeVector(makeData({ type: new Int64(), length: rows, data: ids })),
    value: makeVector(makeData({ type: new Float64(), length: rows, data: values })),
    name: vectorFromArray(names, new Utf8()),
    at: makeVector(makeData({ type: new TimestampMicrosecond('UTC'), length: rows, data: micros })),
  });
}
