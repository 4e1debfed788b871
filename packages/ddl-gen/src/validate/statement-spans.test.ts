import { describe, expect, it } from 'vitest';
import { lineColumn, statementAt, statementSpans } from './statement-spans.js';

const texts = (sql: string): string[] =>
  statementSpans(sql).map((span) => sql.slice(span.start, span.end).trim());

describe('statementSpans', () => {
  it('splits at top-level semicolons only', () => {
    expect(texts('SELECT \';\'; SELECT "a;b"; SELECT 1')).toEqual([
      "SELECT ';';",
      'SELECT "a;b";',
      'SELECT 1',
    ]);
  });

  it('skips escape strings, dollar quotes with tags and nested comments', () => {
    const sql = String.raw`SELECT E'it\'s;'; DO $body$ BEGIN PERFORM 1; END $body$; /* a /* ; */ ; */ SELECT $$;$$;`;
    expect(texts(sql)).toEqual([
      String.raw`SELECT E'it\'s;';`,
      'DO $body$ BEGIN PERFORM 1; END $body$;',
      '/* a /* ; */ ; */ SELECT $$;$$;',
    ]);
  });

  it('treats a plain string with a backslash as standard-conforming', () => {
    expect(texts(String.raw`SELECT 'a\'; SELECT 2;`)).toEqual([
      String.raw`SELECT 'a\';`,
      'SELECT 2;',
    ]);
  });

  it('finds the statement and line/column of an offset', () => {
    const sql = 'SELECT 1;\nSELECT 2;\n  SELECT x;';
    const offset = sql.indexOf('x');
    expect(statementAt(sql, offset)).toMatchObject({ index: 2, text: 'SELECT x;' });
    expect(lineColumn(sql, offset)).toEqual({ line: 3, column: 10 });
  });
});
