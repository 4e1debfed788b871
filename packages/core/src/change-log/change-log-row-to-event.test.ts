import { describe, expect, it } from 'vitest';

import { isCoreError } from '../errors/core-error.js';
import { eventFromJson, eventToJson, serializeEvent } from '../events/event-json.js';
import type { ChangeLogRow } from './change-log-row.js';
import { changeLogRowToEvent, isDeliverableRow } from './change-log-row-to-event.js';

const base: ChangeLogRow = {
  pk_entity_change_log: '42',
  id: '0b9c3a1e-6c53-4f0e-9a55-3f1d2b1f4a10',
  tenant_id: null,
  fk_contact: null,
  object_type: 'Order',
  object_id: '7',
  modification_type: 'INSERT',
  change_status: 'captured',
  object_data: { id: 7, status: 'new' },
  object_data_before: null,
  updated_fields: null,
  extra_metadata: { source_table: 'public.tb_order' },
  created_at: new Date('2026-01-02T03:04:05.678Z'),
  transaction_id: '901',
};

function row(overrides: Partial<Record<keyof ChangeLogRow, unknown>>): ChangeLogRow {
  return { ...base, ...overrides } as ChangeLogRow;
}

function conversionError(input: ChangeLogRow): Error & { details: Record<string, unknown> } {
  try {
    changeLogRowToEvent(input);
  } catch (error) {
    expect(isCoreError(error, 'MALFORMED_CHANGE_LOG_ROW')).toBe(true);
    return error as Error & { details: Record<string, unknown> };
  }
  throw new Error('expected the row to be rejected');
}

describe('changeLogRowToEvent', () => {
  it('converts an INSERT row as node-postgres returns it', () => {
    const event = changeLogRowToEvent(
      row({
        tenant_id: 'acme',
        fk_contact: 'u-1',
        extra_metadata: {
          source_table: 'public.tb_order',
          traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
          request: 'r-9',
        },
      }),
    );
    expect(event).toEqual({
      id: '0b9c3a1e-6c53-4f0e-9a55-3f1d2b1f4a10',
      seq: 42n,
      eventType: 'INSERT',
      entityType: 'Order',
      entityId: '7',
      tenantId: 'acme',
      userId: 'u-1',
      data: { id: 7, status: 'new' },
      timestamp: new Date('2026-01-02T03:04:05.678Z'),
      metadata: {
        sourceTable: 'public.tb_order',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        changeStatus: 'captured',
        request: 'r-9',
      },
    });
    // The event survives the JSON form used on the wire.
    expect(eventFromJson(JSON.stringify(eventToJson(event)))).toEqual(event);
  });

  it('accepts PGlite and bigint integers, JSON text and text-array literals', () => {
    const event = changeLogRowToEvent(
      row({
        pk_entity_change_log: 9_007_199_254_740_993n,
        tenant_id: 12,
        fk_contact: 34n,
        object_id: 56,
        modification_type: 'update',
        object_data: '{"id": 56, "status": "paid", "note": "a,b"}',
        object_data_before: '{"status": "new"}',
        updated_fields: '{status}',
        created_at: '2026-01-02T03:04:05Z',
        extra_metadata: null,
      }),
    );
    expect(event).toMatchObject({
      seq: 9_007_199_254_740_993n,
      eventType: 'UPDATE',
      tenantId: '12',
      userId: '34',
      entityId: '56',
      data: { id: 56, status: 'paid', note: 'a,b' },
      before: { id: 56, status: 'new', note: 'a,b' },
      changes: { status: { old: 'new', new: 'paid' } },
      timestamp: new Date('2026-01-02T03:04:05Z'),
      metadata: { changeStatus: 'captured' },
    });
  });

  it('rebuilds the previous row from a partial pre-image and restricts changes to updated_fields', () => {
    const event = changeLogRowToEvent(
      row({
        modification_type: 'UPDATE',
        object_data: { id: 7, status: 'paid', total: 12, touched: 2 },
        object_data_before: { status: 'new', touched: 1 },
        updated_fields: ['status'],
      }),
    );
    expect(event.before).toEqual({ id: 7, status: 'new', total: 12, touched: 1 });
    expect(event.changes).toEqual({ status: { old: 'new', new: 'paid' } });
  });

  it('derives changes from the images when updated_fields is absent, and omits them without a pre-image', () => {
    const derived = changeLogRowToEvent(
      row({
        modification_type: 'UPDATE',
        object_data: { id: 7, status: 'paid', tags: ['a'], gone: null },
        object_data_before: { id: 7, status: 'new', tags: ['a'], extra: 1 },
      }),
    );
    // `gone` was absent before and is null now: the pre-image is completed from the after-image,
    // so it is not a change; `extra` disappeared, which is.
    expect(derived.changes).toEqual({
      status: { old: 'new', new: 'paid' },
      extra: { old: 1, new: null },
    });

    const withoutBefore = changeLogRowToEvent(
      row({ modification_type: 'UPDATE', updated_fields: ['status'] }),
    );
    expect(withoutBefore.before).toBeUndefined();
    expect(withoutBefore.changes).toBeUndefined();
  });

  it('converts and serialises rows whose data is nested 10,000 deep', () => {
    const deep = (leaf: string): string =>
      '{"a":'.repeat(10_000) + `"${leaf}"` + '}'.repeat(10_000);
    const event = changeLogRowToEvent(
      row({
        modification_type: 'UPDATE',
        object_data: { id: 7, nested: JSON.parse(deep('new')) as unknown },
        object_data_before: { id: 7, nested: JSON.parse(deep('old')) as unknown },
      }),
    );
    expect(Object.keys(event.changes ?? {})).toEqual(['nested']);
    expect(serializeEvent(event).length).toBeGreaterThan(50_000);
    expect(eventFromJson(serializeEvent(event)).entityId).toBe('7');
  });

  it('uses the deleted row as data for DELETE, wherever the writer put it', () => {
    const captured = changeLogRowToEvent(
      row({ modification_type: 'DELETE', object_data: null, object_data_before: { id: 7 } }),
    );
    expect(captured).toMatchObject({ eventType: 'DELETE', data: { id: 7 }, before: { id: 7 } });
    const inObjectData = changeLogRowToEvent(
      row({ modification_type: 'DELETE', object_data: { id: 8 } }),
    );
    expect(inObjectData.data).toEqual({ id: 8 });
    expect(inObjectData.before).toBeUndefined();
    expect(
      changeLogRowToEvent(row({ modification_type: 'DELETE', object_data: null })).data,
    ).toEqual({});
  });

  it('unwraps a Debezium-style envelope', () => {
    const envelope = {
      op: 'u',
      before: { id: 7, status: 'new' },
      after: { id: 7, status: 'paid' },
      source: { table: 'tb_order', db: 'shop' },
    };
    const event = changeLogRowToEvent(
      row({ modification_type: 'UPDATE', object_data: envelope, updated_fields: ['status'] }),
    );
    expect(event).toMatchObject({
      eventType: 'UPDATE',
      data: { id: 7, status: 'paid' },
      before: { id: 7, status: 'new' },
      changes: { status: { old: 'new', new: 'paid' } },
      metadata: { envelopeSource: { table: 'tb_order', db: 'shop' } },
    });
    const deleted = changeLogRowToEvent(
      row({
        modification_type: 'DELETE',
        object_data: { op: 'd', before: { id: 7 }, after: null, source: {} },
      }),
    );
    expect(deleted).toMatchObject({ eventType: 'DELETE', data: { id: 7 } });
    const snapshot = changeLogRowToEvent(
      row({ object_data: { op: 'r', before: null, after: { id: 7 } } }),
    );
    expect(snapshot).toMatchObject({ eventType: 'INSERT', data: { id: 7 } });
    // An entity that merely has a field called `op` is not an envelope.
    const plain = changeLogRowToEvent(row({ object_data: { id: 7, op: 'c' } }));
    expect(plain.data).toEqual({ id: 7, op: 'c' });
    // A custom event may carry an envelope; it stays custom.
    const custom = changeLogRowToEvent(
      row({ modification_type: 'CUSTOM', object_data: { op: 'c', before: null, after: { x: 1 } } }),
    );
    expect(custom).toMatchObject({ eventType: 'CUSTOM', data: { x: 1 } });
  });

  it('rejects an envelope whose op disagrees with modification_type', () => {
    const error = conversionError(
      row({
        modification_type: 'INSERT',
        object_data: { op: 'd', before: { id: 7 }, after: null },
      }),
    );
    expect(error.message).toBe(
      'change-log row 42 (id 0b9c3a1e-6c53-4f0e-9a55-3f1d2b1f4a10): object_data.op: expected an op matching modification_type INSERT, got "d"',
    );
  });

  it('names the row and the column of malformed input', () => {
    const error = conversionError(row({ object_data: 'x' }));
    expect(error.message).toBe(
      'change-log row 42 (id 0b9c3a1e-6c53-4f0e-9a55-3f1d2b1f4a10): object_data: expected an object, got "x"',
    );
    expect(error.details).toMatchObject({
      seq: '42',
      id: '0b9c3a1e-6c53-4f0e-9a55-3f1d2b1f4a10',
      column: 'object_data',
    });
    const cases: [Partial<Record<keyof ChangeLogRow, unknown>>, string][] = [
      [{ pk_entity_change_log: 'abc' }, 'pk_entity_change_log: expected a non-negative integer'],
      [{ id: '' }, 'id: expected a uuid'],
      [{ modification_type: 'UPSERT' }, 'modification_type: expected one of INSERT'],
      [{ object_type: '' }, 'object_type: expected a non-empty string'],
      [{ object_id: null }, 'object_id: expected the id of the changed entity, got null'],
      [{ created_at: 'yesterday' }, 'created_at: expected a timestamp, got "yesterday"'],
      [{ object_data: [1, 2] }, 'object_data: expected an object, got [1,2]'],
      [{ object_data: null }, 'object_data: expected the inserted row, got null'],
      [{ object_data_before: 5 }, 'object_data_before: expected an object, got 5'],
      [{ updated_fields: [1] }, 'updated_fields: expected an array of field names, got [1]'],
      [{ updated_fields: 'status' }, 'updated_fields: expected an array of field names'],
      [
        { extra_metadata: { traceparent: 5 } },
        'extra_metadata.traceparent: expected a string, got 5',
      ],
    ];
    for (const [overrides, message] of cases) {
      expect(conversionError(row(overrides)).message).toContain(message);
    }
  });

  it('refuses NOOP rows, which isDeliverableRow filters out', () => {
    expect(isDeliverableRow(row({ modification_type: 'NOOP' }))).toBe(false);
    expect(isDeliverableRow(row({ modification_type: 'noop' }))).toBe(false);
    expect(isDeliverableRow(base)).toBe(true);
    expect(conversionError(row({ modification_type: 'NOOP' })).message).toContain(
      'NOOP rows are not events',
    );
  });
});
