import { describe, expect, it } from 'vitest';

import { parseTextArray } from './parse-text-array.js';

describe('parseTextArray', () => {
  it('parses plain, quoted, escaped and NULL elements', () => {
    expect(parseTextArray('{}')).toEqual([]);
    expect(parseTextArray('{status}')).toEqual(['status']);
    expect(parseTextArray('{a,b}')).toEqual(['a', 'b']);
    expect(parseTextArray('{"first name","a,b","say \\"hi\\"",NULL,"NULL"}')).toEqual([
      'first name',
      'a,b',
      'say "hi"',
      null,
      'NULL',
    ]);
  });

  it('returns undefined for text that is not an array literal', () => {
    expect(parseTextArray('status')).toBeUndefined();
    expect(parseTextArray('{"open}')).toBeUndefined();
    expect(parseTextArray('{"a"b}')).toBeUndefined();
  });
});
