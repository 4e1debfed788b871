import type { EntityEvent, JsonObject, JsonValue } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';

import { isObserverError } from '../errors.js';
import { compileCondition } from './compile-condition.js';
import { MAX_CONDITION_NESTING } from './parse-condition.js';

function event(parts: Partial<EntityEvent> & { data: JsonObject }): EntityEvent {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    seq: 1n,
    eventType: 'UPDATE',
    entityType: 'Order',
    entityId: '42',
    timestamp: new Date('2026-01-01T00:00:00Z'),
    ...parts,
  };
}

const order = event({
  data: {
    status: 'shipped',
    total: 120.5,
    code: '007',
    customer: { tier: 'gold' },
    tags: ['a', 'vip'],
  },
  before: { status: 'paid', total: 120.5, code: '007', customer: { tier: 'silver' }, tags: ['a'] },
  changes: {
    status: { old: 'paid', new: 'shipped' },
    customer: { old: { tier: 'silver' }, new: { tier: 'gold' } },
  },
});

function check(source: string, target: EntityEvent = order): boolean {
  return compileCondition(source).evaluate(target);
}

function syntaxError(source: string): string {
  try {
    compileCondition(source);
  } catch (error) {
    expect(isObserverError(error, 'CONDITION_SYNTAX')).toBe(true);
    return (error as Error).message;
  }
  throw new Error(`expected ${source} to be rejected`);
}

describe('compileCondition', () => {
  it('reads dotted paths into data, before and changes', () => {
    expect(check("data.customer.tier == 'gold'")).toBe(true);
    expect(check("before.status == 'paid'")).toBe(true);
    expect(check("changes.status.new == 'shipped' && changes.status.old == 'paid'")).toBe(true);
    expect(check("data.tags.1 == 'vip'")).toBe(true);
    expect(check("eventType == 'UPDATE' && entityType == 'Order' && entityId == '42'")).toBe(true);
  });

  it('compares numbers numerically and keeps quoted text as text', () => {
    expect(check('data.total > 100')).toBe(true);
    expect(check('data.total >= 120.5 && data.total <= 120.5')).toBe(true);
    expect(check('data.total < 99')).toBe(false);
    expect(check("data.code == '007'")).toBe(true);
    expect(check('data.code == 7')).toBe(false);
    expect(check("data.total > '100'")).toBe(false);
    expect(check('data.n > 9', event({ data: { n: 10 } }))).toBe(true);
    expect(check("data.n > '9'", event({ data: { n: '10' } }))).toBe(false);
  });

  it('handles true, false, null and missing fields', () => {
    const target = event({ data: { active: true, deleted: false, note: null } });
    expect(check('data.active == true && data.deleted == false', target)).toBe(true);
    expect(check('data.note == null && data.missing == null', target)).toBe(true);
    expect(check('data.active', target)).toBe(true);
    expect(check('!data.deleted && !data.missing', target)).toBe(true);
    expect(check('data.missing != null', target)).toBe(false);
    expect(check('data.missing > 0 || data.missing < 0', target)).toBe(false);
  });

  it('supports in with literal lists and array fields', () => {
    expect(check("data.customer.tier in ['gold', 'vip', 3]")).toBe(true);
    expect(check('data.total in [1, 2]')).toBe(false);
    expect(check("'vip' in data.tags")).toBe(true);
    expect(check("'zzz' in data.tags")).toBe(false);
    expect(check('data.missing in [null]')).toBe(true);
    expect(check('data.missing in []')).toBe(false);
  });

  it('respects precedence, negation and parentheses', () => {
    expect(check('data.total > 1000 && data.total > 0 || data.total > 100')).toBe(true);
    expect(check('data.total > 1000 && (data.total > 0 || data.total > 100)')).toBe(false);
    expect(check("!(data.customer.tier == 'gold')")).toBe(false);
    expect(check("!data.customer.tier == 'silver'")).toBe(true);
  });

  it('implements has_field and the field_changed family', () => {
    expect(check('has_field(data.customer.tier) && has_field(code) && !has_field(nope)')).toBe(
      true,
    );
    expect(check("has_field('customer.tier') && has_field(before.status)")).toBe(true);
    expect(check('field_changed(status) && !field_changed(total)')).toBe(true);
    expect(
      check("field_changed_to(status, 'shipped') && field_changed_from('status', 'paid')"),
    ).toBe(true);
    expect(check("field_changed_to(status, 'paid')")).toBe(false);
    expect(check("field_changed_to('customer.tier', 'gold')")).toBe(true);
    const noChanges = event({ data: { status: 'b' }, before: { status: 'a' } });
    expect(
      check("field_changed_from(status, 'a') && field_changed_to(data.status, 'b')", noChanges),
    ).toBe(true);
    const insert = event({ eventType: 'INSERT', data: { status: 'new' } });
    expect(check('field_changed(status)', insert)).toBe(false);
  });

  it('never reads inherited properties', () => {
    expect(check('has_field(constructor) || has_field(data.__proto__)')).toBe(false);
    expect(check('data.toString == null')).toBe(true);
  });

  it('reports syntax errors with the column', () => {
    expect(syntaxError("data.status == 'a' && (data.x))) ")).toBe(
      "unexpected ')' at column 31, expected '&&', '||' or the end",
    );
    expect(syntaxError('data.total >')).toBe(
      'unexpected end of condition at column 13, expected a value, a path or (',
    );
    expect(syntaxError("data.a == 'open")).toMatch(/^unterminated string at column 11/);
    expect(syntaxError('data.a = 1')).toMatch(/^unexpected '=' at column 8/);
    expect(syntaxError('status == 1')).toMatch(/^unknown path 'status' .* at column 1$/);
    expect(syntaxError('is_big(data.total)')).toMatch(/^unknown function 'is_big' .* at column 1$/);
    expect(syntaxError('field_changed_to(status)')).toMatch(
      /takes 2 arguments, got 1 at column 1$/,
    );
    expect(syntaxError('   ')).toBe('empty condition at column 1');
    expect(syntaxError('data.a < 1 < 2')).toMatch(/^unexpected '<' at column 12/);
    expect(syntaxError("data.a in ['x' 'y']")).toMatch(/^unexpected "y" at column 16/);
  });

  it('explains every clause without short-circuit', () => {
    const explained = compileCondition(
      "data.total > 1000 && changes.status.new == 'shipped' || has_field(nope)",
    ).explain(order);
    expect(explained.result).toBe(false);
    expect(explained.clauses).toEqual([
      { source: 'data.total > 1000', column: 1, result: false, values: [120.5, 1000] },
      {
        source: "changes.status.new == 'shipped'",
        column: 22,
        result: true,
        values: ['shipped', 'shipped'],
      },
      { source: 'has_field(nope)', column: 57, result: false },
    ]);
  });
});

describe('compileCondition with hostile input', () => {
  const nested = (depth: number, leaf: JsonValue): JsonValue => {
    let value = leaf;
    for (let i = 0; i < depth; i += 1) value = i % 3 === 0 ? [value] : { a: value };
    return value;
  };

  it('compares row data nested 10,000 deep without throwing', () => {
    const deep = event({
      data: { a: nested(10_000, 1), b: nested(10_000, 1), c: nested(10_000, 2) },
    });
    expect(check('data.a == data.b', deep)).toBe(true);
    expect(check('data.a == data.c', deep)).toBe(false);
    expect(check('data.a != data.c && data.a in [data.b]', deep)).toBe(true);
    expect(check('field_changed(a)', { ...deep, before: { a: nested(10_000, 2) } })).toBe(true);
    expect(compileCondition('data.a == data.b').explain(deep).result).toBe(true);
  });

  it('refuses nesting past MAX_CONDITION_NESTING with the column, however deep', () => {
    expect(MAX_CONDITION_NESTING).toBe(100);
    const ok = `${'('.repeat(100)}data.a == 1${')'.repeat(100)}`;
    expect(check(ok, event({ data: { a: 1 } }))).toBe(true);
    expect(syntaxError(`${'('.repeat(2_000)}data.a${')'.repeat(2_000)}`)).toBe(
      "condition nested deeper than 100 levels (parentheses, '!', lists and function calls) at column 101",
    );
    expect(syntaxError(`${'!'.repeat(12_000)}data.a`)).toMatch(
      /nested deeper than 100 .* column 101$/,
    );
    expect(syntaxError(`field_changed_to(status, ${'('.repeat(200)}1${')'.repeat(200)})`)).toMatch(
      /nested deeper than 100 .* column 125$/,
    );
  });

  it('evaluates chains of 30,000 clauses without deepening the stack', () => {
    const source = Array.from({ length: 30_000 }, (_, i) => `data.n != ${i + 1}`).join(' && ');
    expect(check(source, event({ data: { n: 0 } }))).toBe(true);
    expect(check(source, event({ data: { n: 29_999 } }))).toBe(false);
    const any = Array.from({ length: 30_000 }, (_, i) => `data.n == ${i}`).join(' || ');
    expect(check(any, event({ data: { n: 29_999 } }))).toBe(true);
  }, 60_000);
});
