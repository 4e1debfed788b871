import { describe, expect, it } from 'vitest';

import { isCoreError } from '../errors/core-error.js';
import type { EntityEvent } from './entity-event.js';
import { eventFromJson, eventToJson, serializeEvent } from './event-json.js';

const event: EntityEvent = {
  id: '0b9c3a1e-6c53-4f0e-9a55-3f1d2b1f4a10',
  seq: 9_007_199_254_740_993n,
  eventType: 'UPDATE',
  entityType: 'Order',
  entityId: '7',
  tenantId: 'acme',
  userId: 'u-1',
  data: { id: 7, status: 'paid', lines: [{ sku: 'a', qty: 2 }] },
  before: { id: 7, status: 'new', lines: [{ sku: 'a', qty: 2 }] },
  changes: { status: { old: 'new', new: 'paid' } },
  timestamp: new Date('2026-01-02T03:04:05.678Z'),
  metadata: { sourceTable: 'public.tb_order', changeStatus: 'captured' },
};

describe('event JSON', () => {
  it('round-trips an event, keeping a seq beyond 2^53 exact', () => {
    const json = eventToJson(event);
    expect(json.seq).toBe('9007199254740993');
    expect(json.timestamp).toBe('2026-01-02T03:04:05.678Z');
    expect(eventFromJson(serializeEvent(event))).toEqual(event);
    expect(eventFromJson(new TextEncoder().encode(serializeEvent(event)))).toEqual(event);
    expect(eventFromJson(json)).toEqual(event);
  });

  it('leaves optional fields out rather than writing undefined', () => {
    const minimal: EntityEvent = {
      id: 'e1',
      seq: 1n,
      eventType: 'INSERT',
      entityType: 'Order',
      entityId: '1',
      data: {},
      timestamp: new Date(0),
    };
    expect(Object.keys(eventToJson(minimal)).sort()).toEqual(
      ['data', 'entityId', 'entityType', 'eventType', 'id', 'seq', 'timestamp'].sort(),
    );
    expect(eventFromJson(serializeEvent(minimal))).toEqual(minimal);
  });

  it('names the field of malformed input', () => {
    const valid = eventToJson(event);
    const bad: [unknown, string][] = [
      ['{', 'event: not valid JSON'],
      [[], 'event: expected an object, got []'],
      [{ ...valid, seq: '-1' }, 'event.seq: expected a non-negative integer'],
      [
        { ...valid, eventType: 'UPSERT' },
        'event.eventType: expected one of INSERT, UPDATE, DELETE, CUSTOM, got "UPSERT"',
      ],
      [{ ...valid, timestamp: 'soon' }, 'event.timestamp: expected an ISO-8601 time, got "soon"'],
      [{ ...valid, data: 'x' }, 'event.data: expected an object, got "x"'],
      [{ ...valid, entityId: '' }, 'event.entityId: expected a non-empty string, got ""'],
      [{ ...valid, tenantId: 5 }, 'event.tenantId: expected a string, got 5'],
      [{ ...valid, before: [] }, 'event.before: expected an object, got []'],
    ];
    for (const [input, message] of bad) {
      let caught: unknown;
      try {
        eventFromJson(input);
      } catch (error) {
        caught = error;
      }
      expect(isCoreError(caught, 'MALFORMED_EVENT')).toBe(true);
      expect((caught as Error).message).toContain(message);
    }
  });
});
