// Analytics and search against @elastic/elasticsearch-mock: the exact query bodies, and typed
// results read from the answer shapes Elasticsearch returns.
import { afterEach, describe, expect, it } from 'vitest';

import {
  mockElasticsearch,
  type MockElasticsearch,
} from '../../test/fixtures/mock-elasticsearch.js';
import { isElasticsearchError } from '../errors.js';
import { eventIndexLayout } from '../setup/event-index-layout.js';
import { activeTenants } from './active-tenants.js';
import { eventHistogram } from './event-histogram.js';
import { searchEntities } from './search-entities.js';
import { searchEvents } from './search-events.js';
import { topEntities } from './top-entities.js';

let es: MockElasticsearch | undefined;
afterEach(async () => {
  await es?.close();
  es = undefined;
});

const from = new Date('2026-05-01T00:00:00Z');
const to = new Date('2026-06-01T00:00:00Z');

function setup(answer: unknown) {
  es = mockElasticsearch();
  es.on('POST', '/:target/_search', () => answer);
  return {
    es,
    target: { connection: es.connection, layout: eventIndexLayout('fraiseql-events', 'monthly') },
  };
}

describe('event analytics (elasticsearch-mock)', () => {
  it('builds a date histogram by event kind with filters, and reads its buckets', async () => {
    const { es, target } = setup({
      aggregations: {
        over_time: {
          buckets: [
            {
              key: Date.parse('2026-05-17T10:00:00Z'),
              doc_count: 3,
              by_key: {
                buckets: [
                  { key: 'UPDATE', doc_count: 2 },
                  { key: 'INSERT', doc_count: 1 },
                ],
              },
            },
            { key: Date.parse('2026-05-17T11:00:00Z'), doc_count: 0, by_key: { buckets: [] } },
          ],
        },
      },
    });
    const buckets = await eventHistogram(target, {
      interval: '1h',
      tenantId: 'acme',
      entityTypes: ['Order'],
      from,
      to,
    });
    const request = es.requests.at(-1);
    expect(request?.path).toBe('/fraiseql-events-*/_search');
    expect(request?.querystring).toEqual({ ignore_unavailable: 'true', allow_no_indices: 'true' });
    expect(request?.body).toEqual({
      size: 0,
      query: {
        bool: {
          filter: [
            { term: { tenant_id: 'acme' } },
            { terms: { entity_type: ['Order'] } },
            {
              range: {
                '@timestamp': {
                  gte: from.toISOString(),
                  lt: to.toISOString(),
                  format: 'strict_date_optional_time',
                },
              },
            },
          ],
        },
      },
      aggs: {
        over_time: {
          date_histogram: { field: '@timestamp', fixed_interval: '1h', min_doc_count: 0 },
          aggs: { by_key: { terms: { field: 'event_type', size: 20 } } },
        },
      },
    });
    expect(buckets).toEqual([
      { start: new Date('2026-05-17T10:00:00Z'), total: 3, counts: { UPDATE: 2, INSERT: 1 } },
      { start: new Date('2026-05-17T11:00:00Z'), total: 0, counts: {} },
    ]);
  });

  it('uses a calendar interval by entity type, and refuses an interval it cannot send', async () => {
    const { es, target } = setup({ aggregations: { over_time: { buckets: [] } } });
    await eventHistogram(target, { interval: 'month', by: 'entity_type' });
    expect(es.requests.at(-1)?.body).toMatchObject({
      aggs: {
        over_time: {
          date_histogram: { calendar_interval: 'month' },
          aggs: { by_key: { terms: { field: 'entity_type' } } },
        },
      },
    });
    const error: unknown = await eventHistogram(target, { interval: '1 hour; drop' }).catch(
      (caught: unknown) => caught,
    );
    expect(isElasticsearchError(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('lists top entities across types, most events first', async () => {
    const { target } = setup({
      aggregations: {
        by_type: {
          buckets: [
            {
              key: 'Order',
              by_id: {
                buckets: [
                  { key: 'o-1', doc_count: 5, last: { value: Date.parse('2026-05-17T10:00:00Z') } },
                ],
              },
            },
            {
              key: 'User',
              by_id: {
                buckets: [
                  { key: 'u-1', doc_count: 9, last: { value: null } },
                  { key: 'u-2', doc_count: 1, last: {} },
                ],
              },
            },
          ],
        },
      },
    });
    expect(await topEntities(target, { size: 2 })).toEqual([
      { entityType: 'User', entityId: 'u-1', events: 9, lastEventAt: undefined },
      {
        entityType: 'Order',
        entityId: 'o-1',
        events: 5,
        lastEventAt: new Date('2026-05-17T10:00:00Z'),
      },
    ]);
  });

  it('lists active tenants with distinct entities', async () => {
    const { es, target } = setup({
      aggregations: {
        tenants: {
          buckets: [
            {
              key: 'acme',
              doc_count: 12,
              entities: { value: 4 },
              last: { value: Date.parse('2026-05-17T10:00:00Z') },
            },
          ],
        },
      },
    });
    expect(await activeTenants(target, { eventTypes: ['DELETE'] })).toEqual([
      { tenantId: 'acme', events: 12, entities: 4, lastEventAt: new Date('2026-05-17T10:00:00Z') },
    ]);
    expect(es.requests.at(-1)?.body).toMatchObject({
      query: { bool: { filter: [{ terms: { event_type: ['DELETE'] } }] } },
      aggs: {
        tenants: {
          terms: { field: 'tenant_id' },
          aggs: { entities: { cardinality: { field: 'entity_id' } } },
        },
      },
    });
  });

  it('searches event text with filters and highlighting, and returns typed hits', async () => {
    const { es, target } = setup({
      hits: {
        total: { value: 1, relation: 'eq' },
        hits: [
          {
            _id: 'e-1',
            _score: 1.5,
            _source: {
              '@timestamp': '2026-05-17T10:20:30.123Z',
              event_id: 'e-1',
              seq: 42,
              event_type: 'UPDATE',
              entity_type: 'Order',
              entity_id: 'o-1',
              tenant_id: 'acme',
              data: { customer: { name: 'Ada Lovelace' } },
            },
            highlight: { search_text: ['<em>Ada</em> Lovelace'] },
          },
        ],
      },
    });
    const result = await searchEvents(target, {
      text: 'ada "lovelace"',
      tenantId: 'acme',
      eventTypes: ['UPDATE'],
      size: 5,
    });
    expect(es.requests.at(-1)?.body).toEqual({
      size: 5,
      from: 0,
      track_total_hits: true,
      query: {
        bool: {
          filter: [{ term: { tenant_id: 'acme' } }, { terms: { event_type: ['UPDATE'] } }],
          must: [
            {
              simple_query_string: {
                query: 'ada "lovelace"',
                fields: ['search_text', 'entity_id', 'entity_type'],
                default_operator: 'and',
                lenient: true,
              },
            },
          ],
        },
      },
      sort: ['_score', { '@timestamp': 'desc' }],
      highlight: { fields: { search_text: {} } },
    });
    expect(result).toEqual({
      total: 1,
      totalRelation: 'eq',
      hits: [
        {
          eventId: 'e-1',
          seq: '42',
          eventType: 'UPDATE',
          entityType: 'Order',
          entityId: 'o-1',
          tenantId: 'acme',
          timestamp: new Date('2026-05-17T10:20:30.123Z'),
          score: 1.5,
          data: { customer: { name: 'Ada Lovelace' } },
          highlights: ['<em>Ada</em> Lovelace'],
        },
      ],
    });
  });

  it('reads an answer with no hits or aggregations as empty (no index yet)', async () => {
    const { target } = setup({ hits: { total: { value: 0, relation: 'eq' }, hits: [] } });
    expect(await searchEvents(target)).toEqual({ total: 0, totalRelation: 'eq', hits: [] });
    expect(await topEntities(target)).toEqual([]);
    expect(await activeTenants(target)).toEqual([]);
  });

  it('searches entity documents by tenant and type on the metadata field', async () => {
    es = mockElasticsearch();
    es.on('POST', '/:target/_search', () => ({
      hits: {
        total: { value: 1 },
        hits: [
          {
            _id: 'o-1',
            _score: 2,
            _version: 17,
            _source: { status: 'shipped' },
            highlight: { status: ['<em>shipped</em>'] },
          },
        ],
      },
    }));
    const result = await searchEntities(es.connection, {
      index: 'orders',
      text: 'shipped',
      tenantId: 'acme',
      entityType: 'Order',
    });
    expect(es.requests.at(-1)?.body).toMatchObject({
      version: true,
      query: {
        bool: {
          filter: [
            { term: { 'fraiseql.tenant_id.keyword': 'acme' } },
            { term: { 'fraiseql.entity_type.keyword': 'Order' } },
          ],
          must: [{ simple_query_string: { query: 'shipped', fields: ['*'], lenient: true } }],
        },
      },
    });
    expect(result).toEqual({
      total: 1,
      hits: [
        {
          id: 'o-1',
          score: 2,
          version: 17,
          document: { status: 'shipped' },
          highlights: { status: ['<em>shipped</em>'] },
        },
      ],
    });
  });
});
