import type { EntityEvent, FieldChange, JsonObject, JsonValue } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';

import { compileCondition } from './compile-condition.js';

// Property test: random expressions are printed to source, compiled, and checked against a
// deliberately naive interpreter of the same expression tree over random events.

type Random = () => number;

function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: Random, items: readonly T[]): T => {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('empty choice');
  return item;
};

// ---- the expression model of the test (independent from the parser's AST) ----
type Expr =
  | { t: 'and' | 'or'; a: Expr; b: Expr }
  | { t: 'not'; a: Expr }
  | { t: 'cmp'; op: string; a: Val; b: Val }
  | { t: 'in'; a: Val; list: Val[] | Val }
  | { t: 'fn'; name: string; field: string; quoted: boolean; arg?: Val }
  | { t: 'bare'; v: Val };
type Val =
  | { t: 'path'; path: string }
  | { t: 'lit'; value: string | number | boolean | null }
  | { t: 'paren'; e: Expr };

const PATHS = [
  'data.status',
  'data.total',
  'data.count',
  'data.flag',
  'data.note',
  'data.customer.tier',
  'data.customer.score',
  'data.tags',
  'data.tags.0',
  'data.missing',
  'data.customer.missing.deep',
  'before.status',
  'before.total',
  'before.flag',
  'changes.status.new',
  'changes.status.old',
  'changes.total.new',
  'changes.flag',
  'eventType',
  'entityType',
  'tenantId',
];
const FIELDS = ['status', 'total', 'flag', 'note', 'customer.tier', 'missing'];
const STRINGS = [
  'new',
  'paid',
  'shipped',
  'gold',
  'silver',
  '',
  "it's",
  'say "hi"',
  '10',
  'UPDATE',
];
const NUMBERS = [0, 1, -1, 10, 2.5, 100, -0.5, 1e3, 99.99];

function literal(random: Random): Val {
  const roll = random();
  if (roll < 0.4) return { t: 'lit', value: pick(random, STRINGS) };
  if (roll < 0.75) return { t: 'lit', value: pick(random, NUMBERS) };
  if (roll < 0.9) return { t: 'lit', value: random() < 0.5 };
  return { t: 'lit', value: null };
}

function value(random: Random, depth: number): Val {
  const roll = random();
  if (roll < 0.5) return { t: 'path', path: pick(random, PATHS) };
  if (roll < 0.95 || depth <= 0) return literal(random);
  return { t: 'paren', e: expr(random, depth - 1) };
}

function expr(random: Random, depth: number): Expr {
  const roll = random();
  if (depth > 0 && roll < 0.35) {
    return {
      t: random() < 0.5 ? 'and' : 'or',
      a: expr(random, depth - 1),
      b: expr(random, depth - 1),
    };
  }
  if (depth > 0 && roll < 0.45) return { t: 'not', a: expr(random, depth - 1) };
  const leaf = random();
  if (leaf < 0.5) {
    const op = pick(random, ['==', '!=', '<', '<=', '>', '>=']);
    return { t: 'cmp', op, a: value(random, depth - 1), b: value(random, depth - 1) };
  }
  if (leaf < 0.65) {
    const list =
      random() < 0.8
        ? Array.from({ length: Math.floor(random() * 4) }, () => literal(random))
        : ({ t: 'path', path: pick(random, ['data.tags', 'before.tags', 'data.status']) } as Val);
    return { t: 'in', a: value(random, 0), list };
  }
  if (leaf < 0.9) {
    const name = pick(random, [
      'has_field',
      'field_changed',
      'field_changed_to',
      'field_changed_from',
    ]);
    const field =
      name === 'has_field'
        ? pick(random, [...FIELDS, 'data.customer.score', 'before.status', 'changes.status'])
        : pick(random, FIELDS);
    const fn: Expr = { t: 'fn', name, field, quoted: random() < 0.4 };
    return name.endsWith('_to') || name.endsWith('_from') ? { ...fn, arg: literal(random) } : fn;
  }
  return {
    t: 'bare',
    v: { t: 'path', path: pick(random, ['data.flag', 'before.flag', 'data.status']) },
  };
}

// ---- printing: minimal parentheses by precedence, plus random redundant ones ----
function quote(text: string, random: Random): string {
  if (random() < 0.5) return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function printValue(v: Val, random: Random): string {
  if (v.t === 'path') return v.path;
  if (v.t === 'paren') return `(${printExpr(v.e, random)})`;
  if (typeof v.value === 'string') return quote(v.value, random);
  return String(v.value);
}

const LEVEL = { or: 1, and: 2, not: 3, leaf: 4 } as const;
function level(e: Expr): number {
  return e.t === 'or'
    ? LEVEL.or
    : e.t === 'and'
      ? LEVEL.and
      : e.t === 'not'
        ? LEVEL.not
        : LEVEL.leaf;
}

function printExpr(e: Expr, random: Random): string {
  const wrap = (inner: Expr, min: number): string => {
    const text = printExpr(inner, random);
    return level(inner) < min || random() < 0.1 ? `(${text})` : text;
  };
  const space = (): string => (random() < 0.2 ? '' : ' ');
  switch (e.t) {
    case 'and':
      return `${wrap(e.a, LEVEL.and)}${space()}&&${space()}${wrap(e.b, LEVEL.and + 1)}`;
    case 'or':
      return `${wrap(e.a, LEVEL.or)}${space()}||${space()}${wrap(e.b, LEVEL.or + 1)}`;
    case 'not':
      return `!${wrap(e.a, LEVEL.not)}`;
    case 'cmp':
      return `${printValue(e.a, random)}${space()}${e.op}${space()}${printValue(e.b, random)}`;
    case 'in': {
      const list = Array.isArray(e.list)
        ? `[${e.list.map((item) => printValue(item, random)).join(', ')}]`
        : printValue(e.list, random);
      return `${printValue(e.a, random)} in ${list}`;
    }
    case 'fn': {
      const field = e.quoted ? quote(e.field, random) : e.field;
      const arg = e.arg === undefined ? '' : `, ${printValue(e.arg, random)}`;
      return `${e.name}(${field}${arg})`;
    }
    case 'bare':
      return printValue(e.v, random);
  }
}

// ---- the reference interpreter: plain recursion, JSON-text equality ----
function canonical(v: unknown): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (x !== null && typeof x === 'object') {
      return Object.fromEntries(
        Object.keys(x)
          .sort()
          .map((k) => [k, sort((x as Record<string, unknown>)[k])]),
      );
    }
    return x;
  };
  return JSON.stringify(sort(v ?? null));
}

function walk(start: unknown, segments: string[]): unknown {
  let current = start;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function lookup(event: EntityEvent, path: string): unknown {
  const [root = '', ...rest] = path.split('.');
  return walk((event as unknown as Record<string, unknown>)[root], rest);
}

function evalValue(v: Val, event: EntityEvent): unknown {
  if (v.t === 'path') return lookup(event, v.path);
  if (v.t === 'lit') return v.value;
  // Parentheses around a plain value are only grouping: `(data.x) == 5` compares data.x.
  if (v.e.t === 'bare') return evalValue(v.e.v, event);
  return evalExpr(v.e, event);
}

function change(event: EntityEvent, field: string): { old: unknown; new: unknown } | undefined {
  const parts = field.startsWith('data.') ? field.split('.').slice(1) : field.split('.');
  let old: unknown;
  let next: unknown;
  if (event.changes) {
    const [first = '', ...rest] = parts;
    if (!Object.prototype.hasOwnProperty.call(event.changes, first)) return undefined;
    const entry = event.changes[first];
    old = walk(entry?.old, rest);
    next = walk(entry?.new, rest);
  } else if (event.before) {
    old = walk(event.before, parts);
    next = walk(event.data, parts);
  } else {
    return undefined;
  }
  return canonical(old) === canonical(next) ? undefined : { old, new: next };
}

function evalExpr(e: Expr, event: EntityEvent): boolean {
  switch (e.t) {
    case 'and':
      return evalExpr(e.a, event) && evalExpr(e.b, event);
    case 'or':
      return evalExpr(e.a, event) || evalExpr(e.b, event);
    case 'not':
      return !evalExpr(e.a, event);
    case 'bare':
      return evalValue(e.v, event) === true;
    case 'cmp': {
      const a = evalValue(e.a, event);
      const b = evalValue(e.b, event);
      if (e.op === '==') return canonical(a) === canonical(b);
      if (e.op === '!=') return canonical(a) !== canonical(b);
      const comparable =
        (typeof a === 'number' && typeof b === 'number') ||
        (typeof a === 'string' && typeof b === 'string');
      if (!comparable) return false;
      const x = a as number;
      const y = b as number;
      return e.op === '<' ? x < y : e.op === '<=' ? x <= y : e.op === '>' ? x > y : x >= y;
    }
    case 'in': {
      const needle = canonical(evalValue(e.a, event));
      const haystack = Array.isArray(e.list)
        ? e.list.map((item) => evalValue(item, event))
        : evalValue(e.list, event);
      return Array.isArray(haystack) && haystack.some((item) => canonical(item) === needle);
    }
    case 'fn': {
      if (e.name === 'has_field') {
        const roots = ['data', 'before', 'changes', 'metadata'];
        const path = roots.includes(e.field.split('.')[0] ?? '') ? e.field : `data.${e.field}`;
        return lookup(event, path) !== undefined;
      }
      const found = change(event, e.field);
      if (e.name === 'field_changed') return found !== undefined;
      if (found === undefined || e.arg === undefined) return false;
      const side = e.name === 'field_changed_to' ? found.new : found.old;
      return canonical(side) === canonical(evalValue(e.arg, event));
    }
  }
}

// ---- random events ----
function randomRecord(random: Random): JsonObject {
  const record: JsonObject = {};
  const maybe = (key: string, make: () => JsonValue): void => {
    if (random() < 0.8) record[key] = make();
  };
  maybe('status', () => pick(random, ['new', 'paid', 'shipped', '10', '']));
  maybe('total', () => pick(random, [0, 1, 10, 2.5, 100, -1, 99.99, '100']));
  maybe('count', () => Math.floor(random() * 5));
  maybe('flag', () => pick<JsonValue>(random, [true, false, null, 'true']));
  maybe('note', () => pick<JsonValue>(random, [null, "it's", 'say "hi"']));
  maybe('customer', () => ({
    tier: pick(random, ['gold', 'silver']),
    score: pick(random, [1, 10, 1e3]),
  }));
  maybe('tags', () =>
    pick<JsonValue>(random, [[], ['gold'], ['new', 10, null], ['paid', 'shipped']]),
  );
  return record;
}

function randomEvent(random: Random): EntityEvent {
  const data = randomRecord(random);
  const before = random() < 0.7 ? randomRecord(random) : undefined;
  let changes: Record<string, FieldChange> | undefined;
  if (before !== undefined && random() < 0.6) {
    changes = {};
    for (const key of new Set([...Object.keys(data), ...Object.keys(before)])) {
      if (canonical(data[key]) !== canonical(before[key])) {
        changes[key] = { old: before[key] ?? null, new: data[key] ?? null };
      }
    }
  }
  return {
    id: '00000000-0000-4000-8000-000000000001',
    seq: 7n,
    eventType: pick(random, ['INSERT', 'UPDATE', 'DELETE'] as const),
    entityType: pick(random, ['Order', 'User']),
    entityId: '1',
    ...(random() < 0.5 ? { tenantId: 'paid' } : {}),
    data,
    ...(before === undefined ? {} : { before }),
    ...(changes === undefined ? {} : { changes }),
    timestamp: new Date(0),
  };
}

describe('condition evaluator against a reference interpreter', () => {
  it('agrees on 3,000 random expressions over 20 random events each', () => {
    const random = mulberry32(0x5eed);
    let trues = 0;
    let checks = 0;
    for (let i = 0; i < 3_000; i += 1) {
      const tree = expr(random, 3);
      const source = printExpr(tree, random);
      const compiled = compileCondition(source);
      for (let j = 0; j < 20; j += 1) {
        const target = randomEvent(random);
        const expected = evalExpr(tree, target);
        const actual = compiled.evaluate(target);
        if (actual !== expected) {
          throw new Error(
            `mismatch for ${source}\nevent: ${JSON.stringify({ ...target, seq: '7' })}\nexpected ${expected}, got ${actual}`,
          );
        }
        if (j % 5 === 0) expect(compiled.explain(target).result).toBe(expected);
        if (expected) trues += 1;
        checks += 1;
      }
    }
    // The generated population exercises both outcomes in volume, so agreement is meaningful.
    expect(trues).toBeGreaterThan(checks * 0.15);
    expect(checks - trues).toBeGreaterThan(checks * 0.15);
  }, 60_000);
});
