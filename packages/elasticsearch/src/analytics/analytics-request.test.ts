// Text parameters → analytics requests, against @elastic/elasticsearch-mock: the filters a
// request sends, and the refusals that never reach the server.
import { afterEach, describe, expect, it } from 'vitest';

import {
  mockElasticsearch,
  type MockElasticsearch,
} from '../../test/fixtures/mock-elasticsearch.js';
import { isElasticsearchError } from '../errors.js';
import { eventIndexLayout } from '../setup/event-index-layout.js';
import { runElasticsearchAnalyticsRequest } from './analytics-request.js';

let es: MockElasticsearch | undefined;
afterEach(async () => {
  await es?.close();
  es = undefined;
});

const now = new Date('2026-12-05T12:00:00Z');

function setup() {
  es = mockElasticsearch();
  es.on('POST', '/:target/_search', () => ({
    hits: { total: { value: 0, relation: 'eq' }, hits: [] },
  }));
  return {
    es,
    target: { connection: es.connection, layout: eventIndexLayout('fraiseql-events', 'monthly') },
  };
}

describe('runElasticsearchAnalyticsRequest (elasticsearch-mock)', () => {
  it('sends the filters of the text parameters', async () => {
    const { es, target } = setup();
    const result = await runElasticsearchAnalyticsRequest(
      target,
      'search',
      {
        text: 'lovelace',
        from: '24h',
        tenantId: 'acme',
        entityType: 'Order, Customer',
        eventType: 'insert,update',
        size: '5',
      },
      { now },
    );
    expect(result).toMatchObject({ total: 0, hits: [] });
    const body = es.requests.at(-1)?.body as { size: number; query: { bool: { filter: unknown } } };
    expect(body.size).toBe(5);
    expect(body.query.bool.filter).toEqual([
      { term: { tenant_id: 'acme' } },
      { terms: { entity_type: ['Order', 'Customer'] } },
      { terms: { event_type: ['INSERT', 'UPDATE'] } },
      {
        range: {
          '@timestamp': { gte: '2026-12-04T12:00:00.000Z', format: 'strict_date_optional_time' },
        },
      },
    ]);
  });

  it.each([
    ['nope', {}, /unknown analytics "nope": expected one of histogram/],
    ['active-tenants', { tenantId: 'acme' }, /active-tenants: unknown parameter "tenantId"/],
    ['search', { eventType: 'MERGE' }, /eventType: expected INSERT, UPDATE, DELETE, CUSTOM/],
    ['histogram', { by: 'tenant_id' }, /by: expected event_type or entity_type/],
    ['histogram', { interval: '7q' }, /interval: expected a fixed interval/],
    ['search', { size: '5000' }, /size: expected a whole number from 0 to 1000/],
    ['search', { from: 'yesterday' }, /from: expected an ISO-8601 time/],
  ])('refuses %s with %j before asking the server', async (kind, params, message) => {
    const { es, target } = setup();
    const before = es.requests.length;
    const error = await runElasticsearchAnalyticsRequest(target, kind, params, { now }).catch(
      (thrown: unknown) => thrown,
    );
    expect(isElasticsearchError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toMatch(message);
    expect(es.requests.length).toBe(before);
  });
});
