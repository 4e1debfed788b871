import { describe, expect, it } from 'vitest';

import { makeEvent } from '../../test/fixtures/mock-elasticsearch.js';
import { bulkBody, bulkItem } from './bulk-item.js';
import { eventDocumentJson } from './event-document.js';
import { monthlyIndexName } from './event-index-name.js';
import { searchText } from './search-text.js';

describe('event documents', () => {
  it('writes seq exactly from the bigint and the commit time in milliseconds (never 1970)', () => {
    const event = makeEvent({ seq: 9_223_372_036_854_775_807n });
    const json = eventDocumentJson(event);
    expect(json).toContain('"seq":9223372036854775807,');
    expect(json).toContain('"@timestamp":"2026-05-17T10:20:30.123Z"');
    expect(JSON.parse(json)).toMatchObject({ event_id: event.id, entity_id: event.entityId });
  });

  it('stays one valid JSON line for any string the row holds', () => {
    const nasty = '"\n\r\u2028\u2029\\</script>{{ x }}\ud800';
    const event = makeEvent({ entityId: nasty, tenantId: nasty, data: { [nasty]: nasty } });
    const item = bulkItem(event, 'fraiseql-events-2026.05', 'index', eventDocumentJson(event));
    const body = bulkBody([item]);
    const lines = body.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const document = JSON.parse(lines[1] ?? '') as Record<string, unknown>;
    expect(document.entity_id).toBe(nasty);
    expect(document.data).toEqual({ [nasty]: nasty });
    expect(item.chars).toBe(body.length);
    expect(bulkBody([item, item])).toBe(body + body);
  });

  it('omits search_text when turned off and names the month in UTC', () => {
    expect(eventDocumentJson(makeEvent(), { searchText: false })).not.toContain('search_text');
    expect(monthlyIndexName('e', new Date('2026-12-31T23:30:00-02:00'))).toBe('e-2027.01');
    expect(monthlyIndexName('e', new Date('2026-03-01T00:00:00Z'))).toBe('e-2026.03');
  });

  it('collects the text values of the data, bounded, without throwing on odd shapes', () => {
    expect(searchText({ a: 'one', b: [1, 'two', { c: 'three' }], d: true, e: null })).toBe(
      'one two three',
    );
    expect(searchText({ a: 'x'.repeat(50) }, 10)).toHaveLength(10);
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(searchText(cyclic)).toMatch(/^loop( loop)*$/);
    const hostile = {
      get boom(): string {
        throw new Error('getter');
      },
    };
    expect(searchText({ a: 'kept', b: hostile })).toBe('kept');
    // A wide cycle would be exponential without the visit budget.
    const wide: Record<string, unknown> = { s: 'w' };
    for (let i = 0; i < 10; i += 1) wide[`k${i}`] = wide;
    expect(searchText(wide).length).toBeLessThan(40_000);
  });
});
