import { describe, expect, it } from 'vitest';
import { isConsoleError } from '../errors.js';
import { filterConditions, parseEventFilter } from './event-filter.js';

describe('parseEventFilter', () => {
  it('reads entity, kind (any case), tenant and text, and drops empty values', () => {
    const filter = parseEventFilter(
      new URLSearchParams('entity=Order&kind=update&tenant=&text=%25_x'),
    );
    expect(filter).toEqual({ entity: 'Order', kind: 'UPDATE', text: '%_x' });
  });

  it('refuses an unknown kind and an overlong value, naming the parameter', () => {
    const failure = (query: string): unknown => {
      try {
        parseEventFilter(new URLSearchParams(query));
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const kind = failure('kind=NOOP');
    expect(isConsoleError(kind, 'INVALID_ARGUMENT')).toBe(true);
    expect((kind as Error).message).toMatch(/^kind: expected one of/);
    expect((failure(`text=${'x'.repeat(201)}`) as Error).message).toMatch(/^text: at most 200/);
  });

  it('keeps every value out of the SQL text', () => {
    const params: unknown[] = [];
    const where = filterConditions(
      { entity: "x'; DROP TABLE t; --", kind: 'INSERT', tenant: '7', text: '50%' },
      params,
    ).join(' AND ');
    expect(where).not.toContain('DROP');
    expect(where).not.toContain('50%');
    expect(params).toEqual(["x'; DROP TABLE t; --", 'INSERT', '7', '50%']);
  });
});
