/** Where one statement of a script starts and ends (offsets into the script). */
export interface StatementSpan {
  readonly start: number;
  readonly end: number;
}

/**
 * Splits an SQL script at top-level semicolons, skipping strings (`'…'`, `E'…'`), quoted
 * identifiers, dollar-quoted bodies and comments. Used only to name the statement an error
 * position falls in; parsing itself is PostgreSQL's.
 */
export function statementSpans(sql: string): StatementSpan[] {
  const spans: StatementSpan[] = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
    } else if (c === "'") {
      const escapes = i > 0 && /[eE]/.test(sql[i - 1] ?? '') && !/\w/.test(sql[i - 2] ?? '');
      i++;
      while (i < n) {
        if (escapes && sql[i] === '\\') i += 2;
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
        else if (sql[i] === "'") break;
        else i++;
      }
      i++;
    } else if (c === '"') {
      const end = sql.indexOf('"', i + 1);
      i = end === -1 ? n : end + 1;
    } else if (c === '$' && !/\w/.test(sql[i - 1] ?? '')) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag === null) i++;
      else {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        i = end === -1 ? n : end + tag[0].length;
      }
    } else if (c === ';') {
      spans.push({ start, end: i + 1 });
      i++;
      start = i;
    } else i++;
  }
  if (sql.slice(start).trim() !== '') spans.push({ start, end: n });
  return spans;
}

/** The 0-based index of the statement containing `offset`, and that statement's text. */
export function statementAt(
  sql: string,
  offset: number,
): { index: number; text: string; start: number } {
  const spans = statementSpans(sql);
  const found = spans.findIndex((span) => offset >= span.start && offset < span.end);
  const index = found === -1 ? Math.max(0, spans.length - 1) : found;
  const span = spans[index] ?? { start: 0, end: sql.length };
  return { index, text: sql.slice(span.start, span.end).trim(), start: span.start };
}

/** 1-based line and column of an offset. */
export function lineColumn(sql: string, offset: number): { line: number; column: number } {
  const before = sql.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
