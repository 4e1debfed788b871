// The Elasticsearch metrics moved by the real sink and `search` action, talking to
// @elastic/elasticsearch-mock (no Elasticsearch server runs on the test machines).
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { Client, type BaseConnection, type errors as esErrors } from '@elastic/elasticsearch';
import MockModule, { type MockPattern, type ResolverFn } from '@elastic/elasticsearch-mock';
import { silentLogger, type EntityEvent } from '@fraiseql/core';
import {
  createElasticsearchConnection,
  createElasticsearchEventSink,
  createMemorySinkDeadLetters,
  createSearchAction,
  searchActionSchema,
  type ElasticsearchMetrics,
} from '@fraiseql/elasticsearch';
import { describe, expect, it } from 'vitest';
import { createElasticsearchMetrics, createMetricsRegistry } from '../src/index.js';
import { fraiseqlMetricNames, readMetric } from './fixtures/read-metric.js';

interface ClientMock {
  add(pattern: MockPattern, resolver: ResolverFn): ClientMock;
  getConnection(): typeof BaseConnection;
}
const Mock = MockModule as unknown as new () => ClientMock;
// The mock recognises the CommonJS build's error classes.
const { errors } = createRequire(
  createRequire(import.meta.url).resolve('@elastic/elasticsearch-mock'),
)('@elastic/elasticsearch') as { errors: typeof esErrors };

function event(overrides: Partial<EntityEvent> = {}): EntityEvent {
  return {
    id: randomUUID(),
    seq: 1n,
    eventType: 'INSERT',
    entityType: 'Order',
    entityId: randomUUID(),
    data: { status: 'new' },
    timestamp: new Date('2026-05-17T10:00:00Z'),
    ...overrides,
  };
}

describe('elasticsearch metrics from the real sink and action (elasticsearch-mock)', () => {
  it('moves every fraiseql_elasticsearch_* metric', async () => {
    const registry = createMetricsRegistry();
    const metrics: ElasticsearchMetrics = createElasticsearchMetrics(registry);
    const mock = new Mock();
    let bulkCalls = 0;
    let putCalls = 0;
    mock.add({ method: 'GET', path: '/' }, () => ({ version: { number: '9.1.0' } }));
    mock.add({ method: 'PUT', path: '/_component_template/:name' }, () => ({ acknowledged: true }));
    mock.add({ method: 'PUT', path: '/_index_template/:name' }, () => ({ acknowledged: true }));
    mock.add({ method: 'PUT', path: '/_ilm/policy/:name' }, () => ({ acknowledged: true }));
    mock.add({ method: 'POST', path: '/_bulk' }, (params) => {
      bulkCalls += 1;
      if (bulkCalls === 1) return new errors.ConnectionError('socket hang up');
      const lines = params.body as Record<string, { _id: string }>[];
      const items = [];
      for (let i = 0; i < lines.length; i += 2) {
        const n = i / 2;
        const status = bulkCalls > 2 ? 201 : ([201, 429, 400, 409][n] ?? 201);
        items.push({
          create: {
            _id: lines[i]?.create?._id,
            status,
            ...(status === 400
              ? { error: { type: 'document_parsing_exception', reason: 'bad field' } }
              : status >= 300
                ? { error: { type: 'x', reason: 'y' } }
                : {}),
          },
        });
      }
      return { errors: true, items };
    });
    mock.add({ method: 'PUT', path: '/:index/_doc/:id' }, () => {
      putCalls += 1;
      return putCalls === 1
        ? { result: 'created' }
        : new errors.ResponseError({
            body: {
              error: { type: 'version_conflict_engine_exception', reason: 'older' },
              status: 409,
            },
            statusCode: 409,
            headers: {},
            warnings: null,
            meta: {} as never,
          });
    });
    const client = new Client({ node: 'http://127.0.0.1:9200', Connection: mock.getConnection() });
    const connection = createElasticsearchConnection({ client, metrics });
    const sink = createElasticsearchEventSink({
      connection,
      deadLetters: createMemorySinkDeadLetters(),
      metrics,
      config: { index: { mode: 'data-stream' }, retry: { baseDelay: 1, maxDelay: 2 } },
    });
    await sink.write([event(), event(), event(), event()]);
    await sink.flush();
    const action = createSearchAction({ connection, metrics });
    const config = searchActionSchema.parse({ type: 'search', index: 'orders' });
    const context = {
      observer: 'o',
      actionIndex: 0,
      attempt: 1,
      signal: new AbortController().signal,
      logger: silentLogger,
    };
    await action.execute(config, { ...context, event: event({ seq: 2n }) });
    await action.execute(config, { ...context, event: event({ seq: 1n }) });

    const sinkLabels = { component: 'sink' };
    expect(
      await readMetric(registry, 'fraiseql_elasticsearch_documents_indexed_total', sinkLabels),
    ).toBe(2);
    expect(
      await readMetric(registry, 'fraiseql_elasticsearch_documents_indexed_total', {
        component: 'action',
      }),
    ).toBe(1);
    expect(
      await readMetric(registry, 'fraiseql_elasticsearch_retries_total', {
        component: 'sink',
        reason: 'network',
      }),
    ).toBe(4);
    expect(
      await readMetric(registry, 'fraiseql_elasticsearch_retries_total', {
        component: 'sink',
        reason: 'http_429',
      }),
    ).toBe(1);
    expect(
      await readMetric(registry, 'fraiseql_elasticsearch_item_failures_total', {
        component: 'sink',
        reason: 'document_parsing_exception',
      }),
    ).toBe(1);
    expect(
      await readMetric(registry, 'fraiseql_elasticsearch_dead_letters_total', sinkLabels),
    ).toBe(1);
    expect(
      await readMetric(registry, 'fraiseql_elasticsearch_version_conflicts_total', sinkLabels),
    ).toBe(1);
    expect(
      await readMetric(registry, 'fraiseql_elasticsearch_version_conflicts_total', {
        component: 'action',
      }),
    ).toBe(1);
    expect(
      await readMetric(registry, 'fraiseql_elasticsearch_request_duration_seconds_count', {
        component: 'sink',
        operation: 'bulk',
      }),
    ).toBe(2);
    expect(
      await readMetric(registry, 'fraiseql_service_up', {
        service: 'elasticsearch',
        kind: 'elasticsearch',
      }),
    ).toBe(1);
    expect(
      await readMetric(registry, 'fraiseql_service_outages_total', { service: 'elasticsearch' }),
    ).toBe(1);
    const declared = (await fraiseqlMetricNames(registry)).filter((name) =>
      name.startsWith('fraiseql_elasticsearch_'),
    );
    expect(declared).toEqual([
      'fraiseql_elasticsearch_dead_letters_total',
      'fraiseql_elasticsearch_documents_indexed_total',
      'fraiseql_elasticsearch_item_failures_total',
      'fraiseql_elasticsearch_request_duration_seconds',
      'fraiseql_elasticsearch_retries_total',
      'fraiseql_elasticsearch_version_conflicts_total',
    ]);
  });

  it('reports the server down when a request cannot reach it', async () => {
    const registry = createMetricsRegistry();
    const metrics = createElasticsearchMetrics(registry);
    const mock = new Mock();
    mock.add(
      { method: 'GET', path: '/' },
      () => new errors.ConnectionError('connect ECONNREFUSED'),
    );
    const client = new Client({
      node: 'http://127.0.0.1:9200',
      Connection: mock.getConnection(),
      maxRetries: 0,
    });
    const connection = createElasticsearchConnection({ client, metrics });
    await expect(connection.serverInfo()).rejects.toThrow('ECONNREFUSED');
    expect(await readMetric(registry, 'fraiseql_service_up', { kind: 'elasticsearch' })).toBe(0);
    expect(connection.health()).toMatchObject({ state: 'down' });
  });
});
