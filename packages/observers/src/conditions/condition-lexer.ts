import { ObserverError } from '../errors.js';

/** A token of the condition language. */
export interface ConditionToken {
  readonly kind: 'path' | 'number' | 'string' | 'keyword' | 'operator' | 'punctuation' | 'end';
  /** Source text of the token (the decoded value for strings). */
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!'] as const;
const KEYWORDS = new Set(['true', 'false', 'null', 'in']);
const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
};
const PATH = /[A-Za-z_][A-Za-z0-9_]*(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|\d+))*/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Splits a condition into tokens.
 *
 * @throws {ObserverError} `CONDITION_SYNTAX` naming the column of an unexpected character.
 */
export function tokenizeCondition(source: string): ConditionToken[] {
  const tokens: ConditionToken[] = [];
  let at = 0;
  while (at < source.length) {
    const char = source.charAt(at);
    if (char === ' ' || char === '\t' || char === '\n' || char === '\r') {
      at += 1;
      continue;
    }
    if ('()[],'.includes(char)) {
      tokens.push({ kind: 'punctuation', text: char, start: at, end: at + 1 });
      at += 1;
      continue;
    }
    if (char === "'" || char === '"') {
      at = readString(source, at, tokens);
      continue;
    }
    NUMBER.lastIndex = at;
    const number = NUMBER.exec(source);
    if (number !== null) {
      tokens.push({ kind: 'number', text: number[0], start: at, end: NUMBER.lastIndex });
      at = NUMBER.lastIndex;
      continue;
    }
    PATH.lastIndex = at;
    const path = PATH.exec(source);
    if (path !== null) {
      const kind = KEYWORDS.has(path[0]) ? 'keyword' : 'path';
      tokens.push({ kind, text: path[0], start: at, end: PATH.lastIndex });
      at = PATH.lastIndex;
      continue;
    }
    const operator = OPERATORS.find((op) => source.startsWith(op, at));
    if (operator !== undefined) {
      tokens.push({ kind: 'operator', text: operator, start: at, end: at + operator.length });
      at += operator.length;
      continue;
    }
    throw conditionSyntaxError(`unexpected '${char}'`, at, source);
  }
  tokens.push({ kind: 'end', text: '', start: source.length, end: source.length });
  return tokens;
}

function readString(source: string, start: number, tokens: ConditionToken[]): number {
  const quote = source.charAt(start);
  let value = '';
  let at = start + 1;
  while (at < source.length) {
    const char = source.charAt(at);
    if (char === quote) {
      tokens.push({ kind: 'string', text: value, start, end: at + 1 });
      return at + 1;
    }
    if (char === '\\') {
      const escaped = ESCAPES[source.charAt(at + 1)];
      if (escaped === undefined) {
        throw conditionSyntaxError(`unknown escape '\\${source.charAt(at + 1)}'`, at, source);
      }
      value += escaped;
      at += 2;
      continue;
    }
    value += char;
    at += 1;
  }
  throw conditionSyntaxError('unterminated string', start, source);
}

/** A `CONDITION_SYNTAX` error for `offset` (reported as a 1-based column). */
export function conditionSyntaxError(
  message: string,
  offset: number,
  source: string,
): ObserverError {
  const column = offset + 1;
  return new ObserverError('CONDITION_SYNTAX', `${message} at column ${column}`, {
    details: { column, source },
  });
}
