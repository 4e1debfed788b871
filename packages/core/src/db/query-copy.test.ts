import { describe, expect, it } from 'vitest';
import { copyParamText, inlineCopyParams } from './query-copy.js';

describe('inlineCopyParams', () => {
  it('replaces each placeholder with a typed init-plan read of the setting', () => {
    expect(
      inlineCopyParams('SELECT a FROM t WHERE b = $1 AND c = ANY($2)', ['integer', 'text[]']),
    ).toBe(
      "SELECT a FROM t WHERE b = ((SELECT current_setting('fraiseql.copy_params')::jsonb ->> 0)::integer)" +
        " AND c = ANY(((SELECT current_setting('fraiseql.copy_params')::jsonb ->> 1)::text[]))",
    );
  });

  it('leaves $ inside literals, quoted identifiers and names alone', () => {
    const text = `SELECT '$1', 'it''s $2', "col$1", "a""$2", x$1 FROM t WHERE y = $1`;
    expect(inlineCopyParams(text, ['bigint'])).toBe(
      `SELECT '$1', 'it''s $2', "col$1", "a""$2", x$1 FROM t WHERE y = ((SELECT current_setting('fraiseql.copy_params')::jsonb ->> 0)::bigint)`,
    );
  });

  it('refuses a placeholder without a type', () => {
    expect(() => inlineCopyParams('SELECT $2', ['int'])).toThrow(/no type for parameter \$2/);
  });
});

describe('copyParamText', () => {
  it('writes values as PostgreSQL input text, and refuses what it cannot carry', () => {
    expect(copyParamText(null)).toBeNull();
    expect(copyParamText(undefined)).toBeNull();
    expect(copyParamText('a\tb')).toBe('a\tb');
    expect(copyParamText(12.5)).toBe('12.5');
    expect(copyParamText(2n ** 70n)).toBe('1180591620717411303424');
    expect(copyParamText(true)).toBe('true');
    expect(copyParamText(['a', 'b"c', 'd\\e', null, 3])).toBe('{"a","b\\"c","d\\\\e",NULL,"3"}');
    expect(copyParamText(new Date(0))).toBeUndefined();
    expect(copyParamText(Buffer.from('x'))).toBeUndefined();
    expect(copyParamText({ a: 1 })).toBeUndefined();
    expect(copyParamText([['nested']])).toBeUndefined();
  });
});
