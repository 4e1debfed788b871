import { describe, expect, it } from 'vitest';
import { uploadSchemaOf, type TargetColumn } from './target-columns.js';
import { textBatchSchema, textRowsToBatches, type TextRow } from './text-batches.js';

const column = (
  name: string,
  typeName: string,
  typeSql = typeName,
  extra: Partial<TargetColumn> = {},
): TargetColumn => ({
  name,
  typeName,
  typeSql,
  category: '',
  notNull: false,
  hasDefault: false,
  ...extra,
});

const target = uploadSchemaOf([
  column('id', 'int4', 'integer', { notNull: true }),
  column('big', 'int8', 'bigint'),
  column('total', 'numeric', 'numeric(12,2)'),
  column('ratio', 'float8', 'double precision'),
  column('paid', 'bool', 'boolean'),
  column('at', 'timestamptz', 'timestamp with time zone'),
  column('ref', 'uuid'),
  column('doc', 'jsonb'),
  column('created', 'timestamptz', 'timestamp with time zone', { notNull: true, hasDefault: true }),
]);

async function collect(header: string[], rows: TextRow[], batchRows = 2) {
  const batches = [];
  for await (const batch of textRowsToBatches(textBatchSchema(target, header), rows, {
    batchRows,
  })) {
    batches.push(batch);
  }
  return batches;
}

describe('text rows to record batches', () => {
  it('types integers, floats and booleans, keeps other columns as text, NULL as null', async () => {
    const header = ['id', 'big', 'total', 'ratio', 'paid', 'at', 'ref', 'doc'];
    const batches = await collect(header, [
      {
        line: 2,
        values: [
          '1',
          '9007199254740993',
          '12.50',
          '-1.5e3',
          'yes',
          '2024-01-01 10:00:00.123456+02',
          '0b9e3c2a-5f7d-4d1e-9a3b-1c2d3e4f5a6b',
          '{"a":[1]}',
        ],
      },
      { line: 3, values: ['2', null, null, 'NaN', 'f', null, null, null] },
      { line: 4, values: [' 3 ', '-5', '.5', 'Infinity', 'TRUE', '', null, '"☕"'] },
    ]);
    expect(batches.map((b) => b.numRows)).toEqual([2, 1]);
    expect(batches[0]!.schema.fields.map((f) => String(f.type))).toEqual([
      'Int32',
      'Int64',
      'Utf8',
      'Float64',
      'Bool',
      'Utf8',
      'Utf8',
      'Utf8',
    ]);
    const first = batches[0]!.get(0)!.toJSON();
    expect(first).toMatchObject({
      id: 1,
      big: 9007199254740993n,
      total: '12.50',
      ratio: -1500,
      paid: true,
    });
    expect(first.at).toBe('2024-01-01 10:00:00.123456+02');
    const second = batches[0]!.get(1)!.toJSON();
    expect(second).toMatchObject({ id: 2, big: null, total: null, paid: false, doc: null });
    expect(Number.isNaN(second.ratio)).toBe(true);
    expect(batches[1]!.get(0)!.toJSON()).toMatchObject({
      id: 3,
      big: -5n,
      total: '.5',
      ratio: Infinity,
      paid: true,
      at: '',
      doc: '"☕"',
    });
  });

  it('names the line and column of a value its column cannot take', async () => {
    const fail = (header: string[], values: (string | null)[]) =>
      collect(header, [{ line: 7, values }]).then(
        () => 'accepted',
        (error: unknown) => (error as Error).message,
      );
    expect(await fail(['id', 'big'], ['x1', '2'])).toBe(
      'line 7, column "id": "x1" is not an integer',
    );
    expect(await fail(['id'], ['2147483648'])).toBe(
      'line 7, column "id": "2147483648" is out of range for Int32',
    );
    expect(await fail(['id', 'total'], ['1', '12,50'])).toBe(
      'line 7, column "total": "12,50" is not a number',
    );
    expect(await fail(['id', 'paid'], ['1', 'maybe'])).toContain(
      'line 7, column "paid": "maybe" is not a boolean',
    );
    expect(await fail(['id', 'ref'], ['1', "'; DROP TABLE x; --"])).toBe(
      `line 7, column "ref": "'; DROP TABLE x; --" is not a UUID`,
    );
    expect(await fail(['id', 'doc'], ['1', '{nope'])).toBe(
      'line 7, column "doc": "{nope" is not JSON',
    );
    expect(await fail(['id', 'big'], ['1'])).toBe('line 7: 1 value(s), the header has 2');
  });

  it('refuses a header with an unknown or repeated column, or without a required one', () => {
    expect(() => textBatchSchema(target, ['id', 'nope'])).toThrow(
      'column 2 "nope" is not a column of the table (its columns: id, big, total',
    );
    expect(() => textBatchSchema(target, ['id', 'big', 'id'])).toThrow('column 3 "id" repeats');
    expect(() => textBatchSchema(target, ['big'])).toThrow(
      'column "id" is NOT NULL without a default, and the header leaves it out',
    );
    // A NOT NULL column with a default may be left out.
    expect(textBatchSchema(target, ['id']).fields.map((f) => f.name)).toEqual(['id']);
  });
});
