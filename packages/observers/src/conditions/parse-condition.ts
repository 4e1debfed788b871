import type {
  CompareOperator,
  ConditionFunction,
  ConditionNode,
  PathRoot,
} from './condition-ast.js';
import { conditionSyntaxError, tokenizeCondition, type ConditionToken } from './condition-lexer.js';

const FIELD_ROOTS = new Set<string>(['data', 'before', 'changes', 'metadata']);
const ATTRIBUTE_ROOTS = new Set<string>([
  'id',
  'entityType',
  'entityId',
  'eventType',
  'tenantId',
  'userId',
]);
/**
 * Deepest nesting a condition may have: parentheses, `!`, lists and function calls each add a
 * level. Deeper conditions are refused with the column where the limit was passed, so neither
 * compiling nor evaluating can run out of stack.
 */
export const MAX_CONDITION_NESTING = 100;

const COMPARE = new Set<string>(['==', '!=', '<', '<=', '>', '>=']);
const ARITY: Readonly<Record<ConditionFunction, number>> = {
  has_field: 1,
  field_changed: 1,
  field_changed_to: 2,
  field_changed_from: 2,
};

/**
 * Parses a condition into its syntax tree. Grammar, loosest binding first:
 * `or := and ('||' and)*`, `and := unary ('&&' unary)*`, `unary := '!' unary | compare`,
 * `compare := operand ((== | != | < | <= | > | >=) operand | 'in' (list | operand))?`,
 * `operand := literal | path | call | '(' or ')'`.
 *
 * @throws {ObserverError} `CONDITION_SYNTAX` with the 1-based column of the problem.
 */
export function parseCondition(source: string): ConditionNode {
  const parser = new Parser(source);
  if (parser.peek().kind === 'end') {
    throw conditionSyntaxError('empty condition', 0, source);
  }
  const node = parser.parseOr();
  parser.expectEnd();
  return node;
}

class Parser {
  private readonly tokens: ConditionToken[];
  private readonly endToken: ConditionToken;
  private index = 0;
  private depth = 0;

  constructor(private readonly source: string) {
    this.tokens = tokenizeCondition(source);
    this.endToken = { kind: 'end', text: '', start: source.length, end: source.length };
  }

  peek(): ConditionToken {
    return this.tokens[this.index] ?? this.endToken;
  }

  private next(): ConditionToken {
    const token = this.peek();
    if (token.kind !== 'end') this.index += 1;
    return token;
  }

  private is(text: string): boolean {
    const token = this.peek();
    return token.kind !== 'string' && token.kind !== 'end' && token.text === text;
  }

  private expect(text: string, expected: string): ConditionToken {
    if (!this.is(text)) throw this.unexpected(this.peek(), expected);
    return this.next();
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'end') throw this.unexpected(token, "'&&', '||' or the end");
  }

  /** Enters a nesting level at `token`; the caller leaves it with `this.depth -= 1`. */
  private enter(token: ConditionToken): void {
    this.depth += 1;
    if (this.depth > MAX_CONDITION_NESTING) {
      throw conditionSyntaxError(
        `condition nested deeper than ${MAX_CONDITION_NESTING} levels (parentheses, '!', lists and function calls)`,
        token.start,
        this.source,
      );
    }
  }

  private unexpected(token: ConditionToken, expected?: string): Error {
    const what =
      token.kind === 'end'
        ? 'unexpected end of condition'
        : `unexpected ${token.kind === 'string' ? JSON.stringify(token.text) : `'${token.text}'`}`;
    const error = conditionSyntaxError(what, token.start, this.source);
    if (expected !== undefined) error.message += `, expected ${expected}`;
    return error;
  }

  parseOr(): ConditionNode {
    let left = this.parseAnd();
    while (this.is('||')) {
      this.next();
      const right = this.parseAnd();
      left = { kind: 'or', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private parseAnd(): ConditionNode {
    let left = this.parseUnary();
    while (this.is('&&')) {
      this.next();
      const right = this.parseUnary();
      left = { kind: 'and', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private parseUnary(): ConditionNode {
    if (this.is('!')) {
      const bang = this.next();
      this.enter(bang);
      const operand = this.parseUnary();
      this.depth -= 1;
      return { kind: 'not', operand, start: bang.start, end: operand.end };
    }
    return this.parseCompare();
  }

  private parseCompare(): ConditionNode {
    const left = this.parseOperand();
    const token = this.peek();
    if (token.kind === 'operator' && COMPARE.has(token.text)) {
      this.next();
      const right = this.parseOperand();
      const op = token.text as CompareOperator;
      return { kind: 'compare', op, left, right, start: left.start, end: right.end };
    }
    if (token.kind === 'keyword' && token.text === 'in') {
      this.next();
      const right = this.is('[') ? this.parseList() : this.parseOperand();
      return { kind: 'in', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private parseList(): ConditionNode {
    const open = this.next();
    this.enter(open);
    const items: ConditionNode[] = [];
    if (!this.is(']')) {
      for (;;) {
        items.push(this.parseOperand());
        if (!this.is(',')) break;
        this.next();
      }
    }
    const close = this.expect(']', "',' or ']'");
    this.depth -= 1;
    return { kind: 'list', items, start: open.start, end: close.end };
  }

  private parseOperand(): ConditionNode {
    const token = this.peek();
    switch (token.kind) {
      case 'number':
        this.next();
        return { kind: 'literal', value: Number(token.text), start: token.start, end: token.end };
      case 'string':
        this.next();
        return { kind: 'literal', value: token.text, start: token.start, end: token.end };
      case 'keyword':
        if (token.text === 'in') break;
        this.next();
        return {
          kind: 'literal',
          value: token.text === 'null' ? null : token.text === 'true',
          start: token.start,
          end: token.end,
        };
      case 'path':
        this.next();
        return this.is('(') ? this.parseCall(token) : this.pathNode(token);
      case 'punctuation':
        if (token.text === '(') {
          this.enter(this.next());
          const inner = this.parseOr();
          this.expect(')', "')'");
          this.depth -= 1;
          return inner;
        }
        break;
      default:
        break;
    }
    throw this.unexpected(token, 'a value, a path or (');
  }

  private pathNode(token: ConditionToken): ConditionNode {
    const [root = '', ...segments] = token.text.split('.');
    if (FIELD_ROOTS.has(root) || (ATTRIBUTE_ROOTS.has(root) && segments.length === 0)) {
      return { kind: 'path', root: root as PathRoot, segments, start: token.start, end: token.end };
    }
    const hint = ATTRIBUTE_ROOTS.has(root)
      ? `'${root}' has no fields`
      : `unknown path '${token.text}'`;
    throw conditionSyntaxError(
      `${hint} (paths start with data, before, changes or metadata, or are one of ${[...ATTRIBUTE_ROOTS].join(', ')})`,
      token.start,
      this.source,
    );
  }

  private parseCall(nameToken: ConditionToken): ConditionNode {
    const name = nameToken.text;
    if (!Object.hasOwn(ARITY, name)) {
      throw conditionSyntaxError(
        `unknown function '${name}' (known: ${Object.keys(ARITY).join(', ')})`,
        nameToken.start,
        this.source,
      );
    }
    const fn = name as ConditionFunction;
    this.enter(this.next());
    const fieldToken = this.next();
    if (fieldToken.kind !== 'path' && fieldToken.kind !== 'string') {
      throw this.unexpected(fieldToken, `a field name as the first argument of ${fn}`);
    }
    const field = fieldPath(fn, fieldToken.text);
    if (field.length === 0 || field.some((segment) => segment === '')) {
      throw conditionSyntaxError(`invalid field name for ${fn}`, fieldToken.start, this.source);
    }
    const args: ConditionNode[] = [];
    while (this.is(',')) {
      this.next();
      args.push(this.parseOperand());
    }
    const close = this.expect(')', args.length === 0 ? "',' or ')'" : "')'");
    this.depth -= 1;
    if (args.length + 1 !== ARITY[fn]) {
      throw conditionSyntaxError(
        `${fn} takes ${ARITY[fn]} argument${ARITY[fn] === 1 ? '' : 's'}, got ${args.length + 1}`,
        nameToken.start,
        this.source,
      );
    }
    return { kind: 'call', name: fn, field, args, start: nameToken.start, end: close.end };
  }
}

/**
 * `has_field(data.a.b)` and `has_field('a.b')` both name `data.a.b`; a leading `data.` is
 * implied. `has_field(before.x)` keeps its root. The `field_changed*` functions take a field
 * of the row (`status`, `'customer.tier'`, `data.status`).
 */
function fieldPath(fn: ConditionFunction, text: string): string[] {
  const segments = text.split('.');
  if (fn === 'has_field') {
    return FIELD_ROOTS.has(segments[0] ?? '') ? segments : ['data', ...segments];
  }
  return segments[0] === 'data' && segments.length > 1 ? segments.slice(1) : segments;
}
