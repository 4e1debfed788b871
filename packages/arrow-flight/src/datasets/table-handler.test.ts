import { Table, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';

import { ANONYMOUS } from '../auth/principal.js';
import { createTableHandler, rowsPerSlice } from './table-handler.js';

async function sliceSizes(
  table: Table,
  batch: { rows: number; bytes: number },
): Promise<{ sizes: number[]; ids: number[] }> {
  const handler = createTableHandler();
  handler.register('t', table);
  const signal = new AbortController().signal;
  const stream = await handler.open({ name: 't' }, { principal: ANONYMOUS, signal, batch });
  const sizes: number[] = [];
  const ids: number[] = [];
  for await (const { batch: slice } of stream.batches(signal)) {
    sizes.push(slice.numRows);
    for (const id of slice.getChild('id')!.toArray() as Int32Array) ids.push(id);
  }
  return { sizes, ids };
}

describe('table handler', () => {
  // 10,000 rows of an int32 and a 100-character string: about 108 bytes a row.
  const table = new Table({
    id: vectorFromArray(Int32Array.from({ length: 10_000 }, (_, i) => i)),
    text: vectorFromArray(
      Array.from({ length: 10_000 }, (_, i) => String(i).padStart(100, '.')),
      new Utf8(),
    ),
  });

  it('cuts batches at the byte limit when it comes before the row limit', async () => {
    const { sizes, ids } = await sliceSizes(table, { rows: 65_536, bytes: 100_000 });
    expect(sizes.length).toBeGreaterThan(10);
    for (const size of sizes) expect(size * 108).toBeLessThanOrEqual(100_000);
    expect(ids).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  });

  it('cuts batches at the row limit when it comes first', async () => {
    const { sizes, ids } = await sliceSizes(table, { rows: 3000, bytes: 64 << 20 });
    expect(sizes).toEqual([3000, 3000, 3000, 1000]);
    expect(ids).toHaveLength(10_000);
  });

  it('sends at least one row per batch, however wide the row', () => {
    const batch = table.batches[0]!;
    expect(rowsPerSlice(batch, { rows: 100, bytes: 1 })).toBe(1);
  });
});
