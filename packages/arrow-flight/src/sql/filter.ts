import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import { FlightError } from '../errors.js';

/** Comparison operators a structured filter may use on one field. */
export const FILTER_OPERATORS = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'nin',
  'like',
  'ilike',
  'isNull',
] as const;

/** One of {@link FILTER_OPERATORS}. */
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/**
 * A structured filter: `{ status: { eq: 'paid' }, total: { gt: 10 }, or: [...], not: {...} }`.
 * Field names are checked against the dataset's columns; values are always parameters.
 */
export type Filter = Readonly<Record<string, unknown>>;

type Scalar = string | number | boolean;
const MAX_DEPTH = 16;
const MAX_LIST = 1000;
const OPERATORS: ReadonlySet<string> = new Set(FILTER_OPERATORS);
const SQL_OPERATOR = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

function invalid(path: string, message: string): FlightError {
  return new FlightError('INVALID_ARGUMENT', `${path}: ${message}`);
}

function scalar(path: string, value: unknown): Scalar {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw invalid(path, 'must be a string, a finite number or a boolean');
}

/**
 * Compiles a structured filter into a kysely expression. `column(name)` returns the expression
 * of a known column or undefined; an unknown field, operator or value is `INVALID_ARGUMENT`.
 */
export function compileFilter<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  filter: unknown,
  column: (name: string) => Expression<unknown> | undefined,
  path = 'where',
  depth = 0,
): Expression<SqlBool> {
  if (depth > MAX_DEPTH) throw invalid(path, `nested deeper than ${MAX_DEPTH} levels`);
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
    throw invalid(path, 'must be an object');
  }
  const parts: Expression<SqlBool>[] = [];
  for (const [key, value] of Object.entries(filter)) {
    const at = `${path}.${key}`;
    if (key === 'and' || key === 'or') {
      if (!Array.isArray(value) || value.length === 0 || value.length > MAX_LIST) {
        throw invalid(at, `must be a non-empty list of at most ${MAX_LIST} filters`);
      }
      const items = value.map((item, i) =>
        compileFilter(eb, item, column, `${at}[${i}]`, depth + 1),
      );
      parts.push(key === 'and' ? eb.and(items) : eb.or(items));
      continue;
    }
    if (key === 'not') {
      parts.push(eb.not(compileFilter(eb, value, column, at, depth + 1)));
      continue;
    }
    const ref = column(key);
    if (ref === undefined) throw invalid(at, 'no such field');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalid(at, 'must be an object of operators, e.g. { "eq": 1 }');
    }
    for (const [operator, operand] of Object.entries(value as Record<string, unknown>)) {
      const where = `${at}.${operator}`;
      if (!OPERATORS.has(operator)) {
        throw invalid(where, `unknown operator; use one of ${FILTER_OPERATORS.join(', ')}`);
      }
      const op = operator as FilterOperator;
      if (op === 'isNull') {
        if (typeof operand !== 'boolean') throw invalid(where, 'must be true or false');
        parts.push(eb(ref, operand ? 'is' : 'is not', null));
      } else if (op === 'in' || op === 'nin') {
        if (!Array.isArray(operand) || operand.length === 0 || operand.length > MAX_LIST) {
          throw invalid(where, `must be a non-empty list of at most ${MAX_LIST} values`);
        }
        const values = operand.map((item, i) => scalar(`${where}[${i}]`, item));
        parts.push(eb(ref, op === 'in' ? 'in' : 'not in', values));
      } else if (op === 'like' || op === 'ilike') {
        if (typeof operand !== 'string') throw invalid(where, 'must be a string pattern');
        parts.push(eb(ref, op, operand));
      } else {
        parts.push(eb(ref, SQL_OPERATOR[op], scalar(where, operand)));
      }
    }
  }
  if (parts.length === 0) throw invalid(path, 'is empty');
  const [only] = parts;
  return parts.length === 1 && only !== undefined ? only : eb.and(parts);
}
