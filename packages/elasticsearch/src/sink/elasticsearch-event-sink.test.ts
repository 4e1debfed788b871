// The event-history sink against @elastic/elasticsearch-mock (no Elasticsearch server runs on
// the test machines): the exact templates and bulk bodies it sends, and every answer shape it
// must handle (partial failures, 429 items, conflicts, mapping errors, 413, resets, timeouts).
import type { EntityEvent } from '@fraiseql/core';
import { afterEach, describe, expect, it } from 'vitest';

import {
  bulkAnswer,
  errors,
  makeEvent,
  mockElasticsearch,
  OPENSEARCH_INFO,
  responseError,
  type MockElasticsearch,
} from '../../test/fixtures/mock-elasticsearch.js';
import { recordingMetrics } from '../../test/fixtures/recording-metrics.js';
import { createMemorySinkDeadLetters } from '../dead-letters/memory-sink-dead-letters.js';
import type { SinkDeadLetters } from '../dead-letters/sink-dead-letters.js';
import { isElasticsearchError } from '../errors.js';
import { createElasticsearchEventSink } from './elasticsearch-event-sink.js';
import type { EventSinkConfigInput } from './event-sink-config.js';

let es: MockElasticsearch | undefined;
afterEach(async () => {
  await es?.close();
  es = undefined;
});

const ACK = { acknowledged: true };
const noJitter = (): number => 0;

function setup(
  config: EventSinkConfigInput = {},
  options: { info?: unknown; deadLetters?: SinkDeadLetters } = {},
) {
  es = mockElasticsearch({ info: options.info });
  for (const path of [
    '/_ilm/policy/:name',
    '/_component_template/:name',
    '/_index_template/:name',
  ]) {
    es.on('PUT', path, () => ACK);
  }
  const deadLetters = createMemorySinkDeadLetters();
  const metrics = recordingMetrics();
  const sink = createElasticsearchEventSink({
    connection: es.connection,
    deadLetters: options.deadLetters ?? deadLetters,
    metrics,
    config: { batch: { flushInterval: 60_000 }, retry: { baseDelay: 1, maxDelay: 2 }, ...config },
    random: noJitter,
  });
  const bulks = () => es?.requests.filter((request) => request.path === '/_bulk') ?? [];
  return { es, sink, deadLetters, metrics, bulks };
}

const idsOf = (body: unknown): string[] =>
  (body as Record<string, { _id: string }>[])
    .filter((_, i) => i % 2 === 0)
    .map((action) => (Object.values(action)[0] as { _id: string })._id);

describe('event-history sink (elasticsearch-mock)', () => {
  it('creates templates, then sends NDJSON with _id = event id into the month of the commit time', async () => {
    const { es, sink, bulks } = setup({ retentionDays: 90 });
    es.on('POST', '/_bulk', (request) => bulkAnswer(request.body, () => ({ status: 201 })));
    const event = makeEvent({
      seq: 77n,
      tenantId: 'acme',
      userId: 'u1',
      changes: { status: { old: 'paid', new: 'shipped' } },
    });
    await sink.write([event]);
    await sink.flush();
    const paths = es.requests.map((request) => `${request.method} ${request.path}`);
    expect(paths).toEqual([
      'GET /',
      'PUT /_ilm/policy/fraiseql-events-policy',
      'PUT /_component_template/fraiseql-events-mappings',
      'PUT /_component_template/fraiseql-events-settings',
      'PUT /_index_template/fraiseql-events',
      'POST /_bulk',
    ]);
    expect(es.requests[1]?.body).toEqual({
      policy: {
        phases: {
          hot: { min_age: '0ms', actions: {} },
          delete: { min_age: '90d', actions: { delete: {} } },
        },
        _meta: { managed_by: '@fraiseql/elasticsearch' },
      },
    });
    const mappings = (
      es.requests[2]?.body as { template: { mappings: { properties: Record<string, unknown> } } }
    ).template.mappings.properties;
    expect(mappings['@timestamp']).toEqual({
      type: 'date',
      format: 'strict_date_optional_time||epoch_millis',
    });
    expect(mappings.entity_id).toEqual({ type: 'keyword' });
    expect(mappings.tenant_id).toEqual({ type: 'keyword' });
    expect(mappings.data).toEqual({ type: 'flattened' });
    expect(mappings.search_text).toEqual({ type: 'text' });
    expect(es.requests[3]?.body).toEqual({
      template: { settings: { 'index.lifecycle.name': 'fraiseql-events-policy' } },
      _meta: { managed_by: '@fraiseql/elasticsearch' },
    });
    expect(es.requests[4]?.body).toEqual({
      index_patterns: ['fraiseql-events-*'],
      composed_of: ['fraiseql-events-mappings', 'fraiseql-events-settings'],
      priority: 200,
      _meta: { managed_by: '@fraiseql/elasticsearch' },
    });
    const bulk = bulks()[0];
    expect(bulk?.querystring).toEqual({});
    expect(bulk?.body).toEqual([
      { index: { _index: 'fraiseql-events-2026.05', _id: event.id } },
      {
        '@timestamp': '2026-05-17T10:20:30.123Z',
        event_id: event.id,
        seq: 77,
        event_type: 'UPDATE',
        entity_type: 'Order',
        entity_id: event.entityId,
        tenant_id: 'acme',
        user_id: 'u1',
        changed_fields: ['status'],
        data: event.data,
        search_text: 'shipped Ada Lovelace',
      },
    ]);
    expect(sink.stats()).toMatchObject({ indexed: 1, deadLettered: 0, buffered: 0 });
  });

  it('retries only the 429 and 5xx items, dead-letters mapping errors with the document, and settles every item', async () => {
    const { es, sink, deadLetters, metrics, bulks } = setup();
    const events = [makeEvent(), makeEvent(), makeEvent(), makeEvent()];
    let call = 0;
    es.on('POST', '/_bulk', (request) => {
      call += 1;
      return bulkAnswer(request.body, (_action, i) => {
        if (call > 1) return { status: 201 };
        if (i === 1)
          return {
            status: 429,
            error: { type: 'es_rejected_execution_exception', reason: 'rejected execution' },
          };
        if (i === 2)
          return {
            status: 400,
            error: {
              type: 'document_parsing_exception',
              reason: '[1:42] failed to parse field [data]',
            },
          };
        if (i === 3)
          return {
            status: 503,
            error: { type: 'unavailable_shards_exception', reason: 'primary shard is not active' },
          };
        return { status: 201 };
      });
    });
    await sink.write(events);
    await sink.flush();
    expect(bulks().map((request) => idsOf(request.body))).toEqual([
      events.map((event) => event.id),
      [events[1]?.id, events[3]?.id],
    ]);
    expect(deadLetters.items).toHaveLength(1);
    const [letter] = deadLetters.items;
    expect(letter).toMatchObject({
      eventId: events[2]?.id,
      index: 'fraiseql-events-2026.05',
      operation: 'index',
      status: 400,
      errorType: 'document_parsing_exception',
      errorReason: '[1:42] failed to parse field [data]',
    });
    expect(JSON.parse(letter?.document ?? '')).toMatchObject({
      event_id: events[2]?.id,
      data: events[2]?.data,
    });
    expect(sink.stats()).toMatchObject({ indexed: 3, deadLettered: 1, duplicates: 0 });
    expect(metrics.count('retried:sink:http_429')).toBe(1);
    expect(metrics.count('retried:sink:http_5xx')).toBe(1);
    expect(metrics.count('failed:sink:document_parsing_exception')).toBe(1);
    expect(metrics.count('dead:sink')).toBe(1);
    expect(metrics.count('indexed:sink')).toBe(3);
  });

  it('splits a request the server refuses as too large (413) and dead-letters a single document that is', async () => {
    const { es, sink, deadLetters, bulks } = setup();
    const big = makeEvent({ data: { blob: 'x'.repeat(2000) } });
    const events = [makeEvent(), makeEvent(), big, makeEvent()];
    es.on('POST', '/_bulk', (request) => {
      const bytes = JSON.stringify(request.body).length;
      if (bytes > 1500) return responseError(413, 'Request Entity Too Large');
      return bulkAnswer(request.body, () => ({ status: 201 }));
    });
    await sink.write(events);
    await sink.flush();
    expect(bulks().map((request) => idsOf(request.body).length)).toEqual([4, 2, 2, 1, 1]);
    expect(deadLetters.items.map((item) => [item.eventId, item.status, item.errorType])).toEqual([
      [big.id, 413, 'too_large'],
    ]);
    expect(sink.stats()).toMatchObject({ indexed: 3, deadLettered: 1 });
  });

  it('retries connection resets and timeouts, and keeps every event buffered when retries run out', async () => {
    const { es, sink, metrics, bulks } = setup({
      retry: { maxRetries: 2, baseDelay: 1, maxDelay: 2 },
    });
    const failures: unknown[] = [
      new errors.ConnectionError('socket hang up'),
      new errors.TimeoutError('Request timed out'),
      new errors.ConnectionError('connect ECONNREFUSED'),
    ];
    es.on(
      'POST',
      '/_bulk',
      (request) => failures.shift() ?? bulkAnswer(request.body, () => ({ status: 201 })),
    );
    const events = [makeEvent(), makeEvent()];
    await sink.write(events);
    const error: unknown = await sink.flush().catch((caught: unknown) => caught);
    expect(isElasticsearchError(error, 'UNAVAILABLE')).toBe(true);
    expect(bulks()).toHaveLength(3);
    expect(sink.stats()).toMatchObject({ indexed: 0, buffered: 2 });
    expect([...metrics.counts].filter(([key]) => key.startsWith('retried:'))).toEqual([
      // Counted per document: both were sent again after each failure.
      ['retried:sink:network', 2],
      ['retried:sink:timeout', 2],
    ]);
    expect(es.connection.health().state).toBe('down');
    // The server is back: the same events go out again, nothing lost.
    await sink.flush();
    expect(idsOf(bulks().at(-1)?.body)).toEqual(events.map((event) => event.id));
    expect(sink.stats()).toMatchObject({ indexed: 2, buffered: 0 });
    expect(es.connection.health().state).toBe('up');
  });

  it('writes a data stream with create; an event already stored (409) is a duplicate, not a failure', async () => {
    const { es, sink, deadLetters, metrics, bulks } = setup({ index: { mode: 'data-stream' } });
    es.on('POST', '/_bulk', (request) =>
      bulkAnswer(request.body, (_action, i) =>
        i === 0
          ? {
              status: 409,
              error: {
                type: 'version_conflict_engine_exception',
                reason: 'document already exists',
              },
            }
          : { status: 201 },
      ),
    );
    const events = [makeEvent(), makeEvent()];
    await sink.write(events);
    await sink.flush();
    const template = es.requests.find(
      (request) => request.path === '/_index_template/fraiseql-events',
    );
    expect(template?.body).toMatchObject({ index_patterns: ['fraiseql-events'], data_stream: {} });
    const policy = es.requests.find((request) => request.path.startsWith('/_ilm/'));
    expect(policy?.body).toMatchObject({
      policy: {
        phases: {
          hot: { actions: { rollover: { max_age: '30d', max_primary_shard_size: '50gb' } } },
        },
      },
    });
    expect((bulks()[0]?.body as unknown[])[0]).toEqual({
      create: { _index: 'fraiseql-events', _id: events[0]?.id },
    });
    expect(deadLetters.items).toHaveLength(0);
    expect(sink.stats()).toMatchObject({ indexed: 1, duplicates: 1 });
    expect(metrics.count('conflict:sink')).toBe(1);
  });

  it('never throws on data that is not JSON: the event goes to the dead-letter path', async () => {
    const { es, sink, deadLetters, bulks } = setup();
    es.on('POST', '/_bulk', (request) => bulkAnswer(request.body, () => ({ status: 201 })));
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const bad = [
      makeEvent({ data: { n: 1n } as unknown as EntityEvent['data'] }),
      makeEvent({ data: cyclic as EntityEvent['data'] }),
      makeEvent({ timestamp: new Date(Number.NaN) }),
    ];
    const good = makeEvent({ data: { text: 'line\nbreak "quoted" \u2028 \ud800 </script>' } });
    await sink.write([...bad, good]);
    await sink.flush();
    expect(deadLetters.items.map((item) => [item.eventId, item.errorType])).toEqual(
      bad.map((event) => [event.id, 'serialization']),
    );
    expect(idsOf(bulks()[0]?.body)).toEqual([good.id]);
    expect((bulks()[0]?.body as { data?: unknown }[])[1]?.data).toEqual(good.data);
    expect(sink.stats()).toMatchObject({ indexed: 1, deadLettered: 3 });
  });

  it('sizes requests by count and by bytes', async () => {
    const { es, sink, bulks } = setup({
      batch: { maxDocs: 3, maxBytes: 2048, flushInterval: 60_000 },
    });
    es.on('POST', '/_bulk', (request) => bulkAnswer(request.body, () => ({ status: 201 })));
    const small = Array.from({ length: 7 }, () => makeEvent());
    await sink.write(small);
    await sink.flush();
    expect(bulks().map((request) => idsOf(request.body).length)).toEqual([3, 3, 1]);
    const large = Array.from({ length: 4 }, () => makeEvent({ data: { blob: 'y'.repeat(250) } }));
    await sink.write(large);
    await sink.flush();
    expect(
      bulks()
        .slice(3)
        .map((request) => idsOf(request.body).length),
    ).toEqual([2, 2]);
  });

  it('acknowledges nothing when the dead-letter path fails', async () => {
    const failing: SinkDeadLetters = {
      add: () => Promise.reject(new Error('dead-letter table unreachable')),
      list: () => Promise.resolve([]),
      count: () => Promise.resolve(0),
      remove: () => Promise.resolve(0),
    };
    const { es, sink } = setup({}, { deadLetters: failing });
    es.on('POST', '/_bulk', (request) =>
      bulkAnswer(request.body, () => ({
        status: 400,
        error: { type: 'mapper_parsing_exception', reason: 'bad' },
      })),
    );
    await sink.write([makeEvent()]);
    await expect(sink.flush()).rejects.toThrow('dead-letter table unreachable');
    expect(sink.stats().buffered).toBe(1);
  });

  it('maps the event data as flat_object on OpenSearch and writes no ILM policy', async () => {
    const { es, sink } = setup({ retentionDays: 30 }, { info: OPENSEARCH_INFO });
    es.on('POST', '/_bulk', (request) => bulkAnswer(request.body, () => ({ status: 201 })));
    await sink.write([makeEvent()]);
    await sink.flush();
    expect(es.requests.some((request) => request.path.startsWith('/_ilm/'))).toBe(false);
    const mappings = es.requests.find(
      (request) => request.path === '/_component_template/fraiseql-events-mappings',
    );
    expect(mappings?.body).toMatchObject({
      template: { mappings: { properties: { data: { type: 'flat_object' } } } },
    });
  });

  it('reports a template the server refuses as SETUP_FAILED and tries again on the next flush', async () => {
    const { es, sink, bulks } = setup();
    let refuse = true;
    es.on('PUT', '/_index_template/:name', () =>
      refuse
        ? responseError(400, {
            error: { type: 'illegal_argument_exception', reason: 'composable template conflicts' },
            status: 400,
          })
        : ACK,
    );
    es.on('POST', '/_bulk', (request) => bulkAnswer(request.body, () => ({ status: 201 })));
    await sink.write([makeEvent()]);
    const error: unknown = await sink.flush().catch((caught: unknown) => caught);
    expect(isElasticsearchError(error, 'SETUP_FAILED')).toBe(true);
    expect((error as Error).message).toContain('composable template conflicts');
    expect(bulks()).toHaveLength(0);
    refuse = false;
    await sink.flush();
    expect(bulks()).toHaveLength(1);
  });

  it('flushes on close and refuses writes after it', async () => {
    const { es, sink, bulks } = setup();
    es.on('POST', '/_bulk', (request) => bulkAnswer(request.body, () => ({ status: 201 })));
    await sink.write([makeEvent()]);
    await sink.close();
    expect(bulks()).toHaveLength(1);
    await expect(sink.write([makeEvent()])).rejects.toThrow('closed');
  });
});
