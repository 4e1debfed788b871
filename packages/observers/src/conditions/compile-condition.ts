import type { EntityEvent } from '@fraiseql/core';

import type { ConditionNode, PathRoot } from './condition-ast.js';
import { valueIn, valuesEqual, valuesOrdered } from './condition-semantics.js';
import { fieldChange } from './field-change.js';
import { compilePathGetter } from './field-path.js';
import { parseCondition } from './parse-condition.js';

type Evaluator = (event: EntityEvent) => unknown;

/** One clause (comparison, membership, function call or bare value) and what it gave. */
export interface ConditionClause {
  /** The clause as written. */
  readonly source: string;
  /** 1-based column of the clause in the condition. */
  readonly column: number;
  readonly result: boolean;
  /** The operand values the clause compared, for comparisons and `in`. */
  readonly values?: readonly [unknown, unknown];
}

/** Why a condition matched or not: the result and every clause's result (all evaluated). */
export interface ConditionExplanation {
  readonly result: boolean;
  readonly clauses: readonly ConditionClause[];
}

/** A condition compiled once into a tree of closures. */
export interface CompiledCondition {
  readonly source: string;
  /** True when the event satisfies the condition. Never throws for any event shape. */
  evaluate(event: EntityEvent): boolean;
  /** Evaluates every clause (without short-circuit) for the debug command. */
  explain(event: EntityEvent): ConditionExplanation;
}

interface ClauseProbe {
  readonly source: string;
  readonly column: number;
  readonly result: Evaluator;
  readonly values?: readonly [Evaluator, Evaluator];
}

/**
 * Compiles a condition such as `data.total >= 100 && changes.status.new == 'shipped'` into a
 * closure tree; evaluation uses no `eval` or `new Function`.
 *
 * @throws {ObserverError} `CONDITION_SYNTAX` with the 1-based column of the problem.
 * @example compileCondition("data.tier in ['gold', 'vip']").evaluate(event)
 */
export function compileCondition(source: string): CompiledCondition {
  const tree = parseCondition(source);
  const clauses: ClauseProbe[] = [];
  const root = compileBoolean(tree, source, clauses);
  return Object.freeze({
    source,
    evaluate: (event: EntityEvent) => root(event) === true,
    explain: (event: EntityEvent): ConditionExplanation => ({
      result: root(event) === true,
      clauses: clauses.map((clause) => ({
        source: clause.source,
        column: clause.column,
        result: clause.result(event) === true,
        ...(clause.values === undefined
          ? {}
          : { values: [clause.values[0](event), clause.values[1](event)] as const }),
      })),
    }),
  });
}

/** Compiles a node in a boolean position, recording leaves as clauses for `explain`. */
function compileBoolean(node: ConditionNode, source: string, clauses: ClauseProbe[]): Evaluator {
  switch (node.kind) {
    case 'and': {
      // Chains (`a && b && c …`) are compiled flat, so their length never deepens the stack.
      const operands = chainOf(node, 'and').map((item) => compileBoolean(item, source, clauses));
      return (event) => {
        for (const operand of operands) if (operand(event) !== true) return false;
        return true;
      };
    }
    case 'or': {
      const operands = chainOf(node, 'or').map((item) => compileBoolean(item, source, clauses));
      return (event) => {
        for (const operand of operands) if (operand(event) === true) return true;
        return false;
      };
    }
    case 'not': {
      const operand = compileBoolean(node.operand, source, clauses);
      return (event) => operand(event) !== true;
    }
    default: {
      const evaluator = compileValue(node, source, clauses);
      const probe: ClauseProbe = {
        source: source.slice(node.start, node.end),
        column: node.start + 1,
        result: evaluator,
      };
      if (node.kind === 'compare' || node.kind === 'in') {
        const left = compileValue(node.left, source, []);
        const right = compileValue(node.right, source, []);
        clauses.push({ ...probe, values: [left, right] });
      } else {
        clauses.push(probe);
      }
      return evaluator;
    }
  }
}

/** The operands of a left-leaning `&&` or `||` chain, in source order, found without recursion. */
function chainOf(node: ConditionNode, kind: 'and' | 'or'): ConditionNode[] {
  const rights: ConditionNode[] = [];
  let current = node;
  while (current.kind === kind) {
    rights.push(current.right);
    current = current.left;
  }
  return [current, ...rights.reverse()];
}

function compileValue(node: ConditionNode, source: string, clauses: ClauseProbe[]): Evaluator {
  switch (node.kind) {
    case 'and':
    case 'or':
    case 'not':
      // A parenthesised logical expression used as a value (`(a || b) == true`).
      return compileBoolean(node, source, clauses);
    case 'literal': {
      const value = node.value;
      return () => value;
    }
    case 'list': {
      const items = node.items.map((item) => compileValue(item, source, clauses));
      return (event) => items.map((item) => item(event));
    }
    case 'path':
      return compilePath(node.root, node.segments);
    case 'call':
      return compileCall(node, source, clauses);
    case 'compare':
      return compileCompare(node, source, clauses);
    case 'in':
      return compileIn(node, source, clauses);
  }
}

const ROOTS: Readonly<Record<PathRoot, Evaluator>> = {
  data: (event) => event.data,
  before: (event) => event.before,
  changes: (event) => event.changes,
  metadata: (event) => event.metadata,
  id: (event) => event.id,
  entityType: (event) => event.entityType,
  entityId: (event) => event.entityId,
  eventType: (event) => event.eventType,
  tenantId: (event) => event.tenantId,
  userId: (event) => event.userId,
};

function compilePath(root: PathRoot, segments: readonly string[]): Evaluator {
  const getRoot = ROOTS[root];
  if (segments.length === 0) return getRoot;
  const get = compilePathGetter(segments);
  if (root === 'data') return (event) => get(event.data);
  return (event) => get(getRoot(event));
}

function literalOf(node: ConditionNode): { value: string | number | boolean | null } | undefined {
  return node.kind === 'literal' ? { value: node.value } : undefined;
}

function compileCompare(
  node: Extract<ConditionNode, { kind: 'compare' }>,
  source: string,
  clauses: ClauseProbe[],
): Evaluator {
  const left = compileValue(node.left, source, clauses);
  const literal = literalOf(node.right);
  const { op } = node;
  if (literal !== undefined) {
    // Fast paths for the common `path <op> literal` shape; same semantics as the general case.
    const value = literal.value;
    if (op === '==' || op === '!=') {
      const equal: Evaluator =
        value === null
          ? (event) => {
              const found = left(event);
              return found === null || found === undefined;
            }
          : (event) => left(event) === value;
      return op === '==' ? equal : (event) => equal(event) !== true;
    }
    if (typeof value === 'number') {
      switch (op) {
        case '<':
          return (event) => {
            const found = left(event);
            return typeof found === 'number' && found < value;
          };
        case '<=':
          return (event) => {
            const found = left(event);
            return typeof found === 'number' && found <= value;
          };
        case '>':
          return (event) => {
            const found = left(event);
            return typeof found === 'number' && found > value;
          };
        case '>=':
          return (event) => {
            const found = left(event);
            return typeof found === 'number' && found >= value;
          };
      }
    }
  }
  const right = compileValue(node.right, source, clauses);
  switch (op) {
    case '==':
      return (event) => valuesEqual(left(event), right(event));
    case '!=':
      return (event) => !valuesEqual(left(event), right(event));
    default:
      return (event) => valuesOrdered(op, left(event), right(event));
  }
}

function compileIn(
  node: Extract<ConditionNode, { kind: 'in' }>,
  source: string,
  clauses: ClauseProbe[],
): Evaluator {
  const left = compileValue(node.left, source, clauses);
  const { right } = node;
  if (right.kind === 'list' && right.items.every((item) => item.kind === 'literal')) {
    const members = new Set(right.items.map((item) => (item as { value: unknown }).value));
    const acceptsMissing = members.has(null);
    return (event) => {
      const found = left(event);
      return found === undefined ? acceptsMissing : members.has(found);
    };
  }
  const list = compileValue(right, source, clauses);
  return (event) => valueIn(left(event), list(event));
}

function compileCall(
  node: Extract<ConditionNode, { kind: 'call' }>,
  source: string,
  clauses: ClauseProbe[],
): Evaluator {
  const { field } = node;
  switch (node.name) {
    case 'has_field': {
      const [root = 'data', ...segments] = field;
      const get = compilePath(root as PathRoot, segments);
      return (event) => get(event) !== undefined;
    }
    case 'field_changed':
      return (event) => fieldChange(event, field) !== undefined;
    case 'field_changed_to':
    case 'field_changed_from': {
      const [argument] = node.args;
      if (argument === undefined) throw new Error(`${node.name} without its value argument`);
      const expected = compileValue(argument, source, clauses);
      const side = node.name === 'field_changed_to' ? 'new' : 'old';
      return (event) => {
        const change = fieldChange(event, field);
        return change !== undefined && valuesEqual(change[side], expected(event));
      };
    }
  }
}
