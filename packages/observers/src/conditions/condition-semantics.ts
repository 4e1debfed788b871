import { jsonEqual } from '@fraiseql/core';
import type { CompareOperator } from './condition-ast.js';

/**
 * Equality of the condition language: JSON values compared by type and content (`1` never
 * equals `'1'`), objects and arrays deeply (without recursion, whatever the depth); a missing
 * value counts as `null`.
 */
export function valuesEqual(left: unknown, right: unknown): boolean {
  const a = left === undefined ? null : left;
  const b = right === undefined ? null : right;
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return jsonEqual(a, b);
}

/**
 * Ordering of the condition language: numbers numerically, strings by code unit; any other
 * pair (mixed types, null, missing) is false.
 */
export function valuesOrdered(
  op: Exclude<CompareOperator, '==' | '!='>,
  left: unknown,
  right: unknown,
): boolean {
  if (
    !(typeof left === 'number' && typeof right === 'number') &&
    !(typeof left === 'string' && typeof right === 'string')
  ) {
    return false;
  }
  switch (op) {
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
  }
}

/** Membership: `left in right` holds when `right` is an array with an element equal to `left`. */
export function valueIn(left: unknown, right: unknown): boolean {
  return Array.isArray(right) && right.some((item) => valuesEqual(left, item));
}
