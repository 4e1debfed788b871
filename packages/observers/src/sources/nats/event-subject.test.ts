import type { EntityEvent } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';
import { eventSubject, subjectToken } from './event-subject.js';

const event = (entityType: string, eventType: EntityEvent['eventType']): EntityEvent => ({
  id: '0b9a4d8e-2f57-4a43-9d6b-3c1f0f7d2a10',
  seq: 1n,
  eventType,
  entityType,
  entityId: '1',
  data: {},
  timestamp: new Date(0),
});

describe('eventSubject', () => {
  it('is {prefix}.{entityType}.{eventType}', () => {
    expect(eventSubject('fraiseql.events', event('Order', 'INSERT'))).toBe(
      'fraiseql.events.Order.INSERT',
    );
    expect(eventSubject('app', event('line_item', 'DELETE'))).toBe('app.line_item.DELETE');
  });

  it('turns characters a token cannot hold into _', () => {
    expect(subjectToken('sales.order')).toBe('sales_order');
    expect(subjectToken('a b*c>d\te')).toBe('a_b_c_d_e');
    expect(subjectToken('')).toBe('_');
    expect(subjectToken('Größe')).toBe('Größe');
  });
});
