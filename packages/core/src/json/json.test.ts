import { describe, expect, it } from 'vitest';

import { jsonEqual } from './json-equal.js';
import { stringifyJson } from './stringify-json.js';

function nested(depth: number, leaf: unknown = 1): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i += 1) value = i % 2 === 0 ? { x: value } : [value];
  return value;
}

describe('stringifyJson', () => {
  it('writes what JSON.stringify writes for ordinary values', () => {
    const samples: unknown[] = [
      null,
      0,
      -1.5e-7,
      'a"\\\n\u2028\ud800',
      true,
      [],
      {},
      [undefined, () => 1, Symbol('s'), Number.NaN, Infinity],
      { a: undefined, b: [1, { c: 'd' }], e: new Date(0), f: null, '': 'empty', '"': 1 },
      { toJSON: () => ({ replaced: true }) },
      nested(50),
    ];
    for (const sample of samples) expect(stringifyJson(sample)).toBe(JSON.stringify(sample));
  });

  it('writes values nested far deeper than JSON.stringify can', () => {
    const deep = nested(200_000);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    const text = stringifyJson(deep);
    expect(text.length).toBeGreaterThan(400_000);
    expect(jsonEqual(JSON.parse(text), deep)).toBe(true);
  });

  it('writes bigints as strings and refuses cycles', () => {
    expect(stringifyJson({ seq: 12n })).toBe('{"seq":"12"}');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    expect(() => stringifyJson(cyclic)).toThrow(/cycle/);
    const shared = { s: 1 };
    expect(stringifyJson([shared, shared])).toBe('[{"s":1},{"s":1}]');
  });
});

describe('jsonEqual', () => {
  it('compares by type and content, keys in any order', () => {
    expect(jsonEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: '1' })).toBe(false);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: undefined }, {})).toBe(true);
    expect(jsonEqual({}, [])).toBe(false);
    expect(jsonEqual({ a: 1 }, { b: 1 })).toBe(false);
  });

  it('compares values nested 200,000 deep and values that contain themselves', () => {
    expect(jsonEqual(nested(200_000), nested(200_000))).toBe(true);
    expect(jsonEqual(nested(200_000), nested(200_000, 2))).toBe(false);
    const a: Record<string, unknown> = {};
    a.self = a;
    const b: Record<string, unknown> = {};
    b.self = b;
    expect(jsonEqual(a, b)).toBe(true);
  });
});
