// The `search` action against @elastic/elasticsearch-mock (no Elasticsearch server runs on the
// test machines): exact requests, and every answer shape the action must handle.
import { silentLogger, type EntityEvent } from '@fraiseql/core';
import {
  createActionRegistry,
  isObserverError,
  observersJsonSchema,
  validateObserversConfig,
  type ActionContext,
  type ObserverError,
} from '@fraiseql/observers';
import { afterEach, describe, expect, it } from 'vitest';

import {
  errors,
  makeEvent,
  mockElasticsearch,
  responseError,
  type MockElasticsearch,
} from '../../test/fixtures/mock-elasticsearch.js';
import { recordingMetrics } from '../../test/fixtures/recording-metrics.js';
import { createSearchAction } from './search-action.js';
import { searchActionSchema, type SearchActionConfigInput } from './search-action-schema.js';

let es: MockElasticsearch | undefined;
afterEach(async () => {
  await es?.close();
  es = undefined;
});

function context(event: EntityEvent): ActionContext {
  return {
    event,
    observer: 'orders',
    actionIndex: 0,
    attempt: 1,
    signal: new AbortController().signal,
    logger: silentLogger,
  };
}

function setup(input: Omit<SearchActionConfigInput, 'type'> = { index: 'orders' }) {
  es = mockElasticsearch();
  const metrics = recordingMetrics();
  const action = createSearchAction({ connection: es.connection, metrics });
  const config = searchActionSchema.parse({ type: 'search', ...input });
  return { es, metrics, run: (event: EntityEvent) => action.execute(config, context(event)) };
}

async function failure(promise: Promise<unknown>): Promise<ObserverError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isObserverError(error)) throw new Error(`expected an ObserverError, got ${String(error)}`);
  return error;
}

describe('search action (elasticsearch-mock)', () => {
  it('indexes the entity document with _id = entity id and the seq as external version', async () => {
    const { es, metrics, run } = setup();
    es.on('PUT', '/:index/_doc/:id', () => ({ result: 'created', _version: 7 }));
    const event = makeEvent({ seq: 7n, entityId: 'o 7é', tenantId: 't1' });
    const result = await run(event);
    const put = es.requests.find((request) => request.method === 'PUT');
    expect(put?.path).toBe('/orders/_doc/o 7é');
    expect(put?.querystring).toEqual({ version: '7', version_type: 'external' });
    expect(put?.body).toEqual({
      ...event.data,
      fraiseql: {
        entity_type: 'Order',
        entity_id: 'o 7é',
        tenant_id: 't1',
        seq: '7',
        event_id: event.id,
        updated_at: '2026-05-17T10:20:30.123Z',
      },
    });
    expect(result.details).toMatchObject({ result: 'created', version: '7' });
    expect(metrics.count('indexed:action')).toBe(1);
  });

  it('reports a version conflict (an older or redelivered event) as success, not an error', async () => {
    const { es, metrics, run } = setup();
    es.on('PUT', '/:index/_doc/:id', () =>
      responseError(409, {
        error: {
          type: 'version_conflict_engine_exception',
          reason:
            '[o-1]: version conflict, current version [9] is higher or equal to the one provided [3]',
        },
        status: 409,
      }),
    );
    const result = await run(makeEvent({ seq: 3n }));
    expect(result.details).toMatchObject({ result: 'skipped', version: '3' });
    expect(metrics.count('conflict:action')).toBe(1);
    expect(metrics.count('indexed:action')).toBe(0);
  });

  it('deletes on DELETE events under the same versioning; a missing document is success', async () => {
    const { es, run } = setup({ index: 'orders', routing: 'tenant' });
    es.on('DELETE', '/:index/_doc/:id', () => responseError(404, { result: 'not_found' }));
    const result = await run(
      makeEvent({ eventType: 'DELETE', seq: 11n, entityId: 'o-9', tenantId: 'acme' }),
    );
    const del = es.requests.find((request) => request.method === 'DELETE');
    expect(del?.path).toBe('/orders/_doc/o-9');
    expect(del?.querystring).toEqual({ version: '11', version_type: 'external', routing: 'acme' });
    expect(del?.body).toBeNull();
    expect(result.details).toMatchObject({ result: 'not_found' });
  });

  it('routes by tenant only when configured and the event has a tenant', async () => {
    const { es, run } = setup({ index: 'orders', routing: 'tenant' });
    es.on('PUT', '/:index/_doc/:id', () => ({ result: 'updated' }));
    await run(makeEvent({ seq: 1n }));
    await run(makeEvent({ seq: 2n, tenantId: 'acme' }));
    const puts = es.requests.filter((request) => request.method === 'PUT');
    expect(puts.map((request) => request.querystring.routing)).toEqual([undefined, 'acme']);
  });

  it('builds the document from selected fields, keeping their nesting', async () => {
    const { es, run } = setup({
      index: 'orders',
      fields: ['status', 'customer.name', 'missing.x'],
      metadataField: false,
    });
    es.on('PUT', '/:index/_doc/:id', () => ({ result: 'created' }));
    await run(
      makeEvent({ data: { status: 'paid', customer: { name: 'Ada', card: '4111' }, secret: 1 } }),
    );
    expect(es.requests.at(-1)?.body).toEqual({ status: 'paid', customer: { name: 'Ada' } });
  });

  it('renders a document template into valid JSON whatever the row data holds', async () => {
    const { es, run } = setup({
      index: 'orders',
      document: {
        title: 'Order {{ data.name }}',
        name: '{{ data.name }}',
        tags: '{{ data.tags }}',
      },
      metadataField: false,
    });
    es.on('PUT', '/:index/_doc/:id', () => ({ result: 'created' }));
    const hostile = '"}, "admin": true, "x": "\n\u2028{{ data.name }}\\';
    const data = JSON.parse(
      `{"name": ${JSON.stringify(hostile)}, "tags": ["a", {"__proto__": {"polluted": 1}}]}`,
    ) as EntityEvent['data'];
    await run(makeEvent({ data }));
    const body = es.requests.at(-1)?.body as Record<string, unknown>;
    expect(body.name).toBe(hostile);
    expect(body.title).toBe(`Order ${hostile}`);
    expect(body).not.toHaveProperty('admin');
    expect(JSON.stringify(body.tags)).toBe('["a",{"__proto__":{"polluted":1}}]');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('classifies failures: 429 and 5xx retryable, mapping errors permanent, resets and timeouts retryable', async () => {
    const { es, metrics, run } = setup();
    const answers: unknown[] = [
      responseError(429, {
        error: { type: 'es_rejected_execution_exception', reason: 'queue full' },
        status: 429,
      }),
      responseError(503, {
        error: { type: 'unavailable_shards_exception', reason: 'no shard' },
        status: 503,
      }),
      responseError(400, {
        error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [total]' },
        status: 400,
      }),
      new errors.ConnectionError('socket hang up'),
      new errors.TimeoutError('Request timed out'),
    ];
    es.on('PUT', '/:index/_doc/:id', () => answers.shift());
    const results = [];
    for (let i = 0; i < 5; i += 1) results.push(await failure(run(makeEvent())));
    expect(results.map((error) => [error.retryable, error.errorType])).toEqual([
      [true, 'http_429'],
      [true, 'http_5xx'],
      [false, 'mapper_parsing_exception'],
      [true, 'network'],
      [true, 'timeout'],
    ]);
    expect(results[4]?.code).toBe('ACTION_TIMEOUT');
    expect(metrics.count('failed:action:mapper_parsing_exception')).toBe(1);
    expect(es.connection.health().state).toBe('down');
  });

  it('runs through the action registry once registered with its schema', async () => {
    es = mockElasticsearch();
    es.on('PUT', '/:index/_doc/:id', () => ({ result: 'created' }));
    const registry = createActionRegistry();
    try {
      registry.register(createSearchAction({ connection: es.connection }), searchActionSchema);
      const config = validateObserversConfig(
        {
          observers: {
            orders: {
              entity: 'Order',
              events: ['INSERT', 'UPDATE', 'DELETE'],
              actions: [{ type: 'search', index: 'orders' }],
            },
          },
        },
        { registry, envPrefix: false },
      );
      const action = config.observers.orders?.actions[0];
      expect(action).toMatchObject({
        type: 'search',
        index: 'orders',
        routing: 'none',
        timeout: 10_000,
      });
      const result = await registry.execute(action as never, context(makeEvent({ seq: 5n })));
      expect(result.summary).toContain('created');
      expect(registry.endpoint(action as never)).toBe('elasticsearch');
    } finally {
      await registry.close();
    }
  });
});

describe('search action config', () => {
  const registry = createActionRegistry();
  registry.register(
    createSearchAction({ connection: mockElasticsearch().connection }),
    searchActionSchema,
  );

  const issuesOf = (action: unknown): string[] => {
    try {
      validateObserversConfig(
        { observers: { orders: { entity: 'Order', events: ['INSERT'], actions: [action] } } },
        { registry, envPrefix: false },
      );
      return [];
    } catch (error) {
      return (error as Error).message.split('\n').filter((line) => line.includes('observers.'));
    }
  };

  it('names the path of every invalid field', () => {
    expect(issuesOf({ type: 'search', index: 'Orders!' }).join('\n')).toContain(
      'observers.orders.actions[0].index',
    );
    expect(
      issuesOf({ type: 'search', index: 'orders', fields: ['a.__proto__'] }).join('\n'),
    ).toContain('observers.orders.actions[0].fields[0]');
    expect(
      issuesOf({ type: 'search', index: 'orders', fields: ['a'], document: { a: 1 } }).join('\n'),
    ).toContain('observers.orders.actions[0].fields');
    expect(
      issuesOf({ type: 'search', index: 'orders', document: '{{ data }}' }).join('\n'),
    ).toContain('observers.orders.actions[0].document');
    expect(
      issuesOf({ type: 'search', index: 'orders', document: { a: '{{ data.' } }).join('\n'),
    ).toContain('observers.orders.actions[0].document');
    expect(issuesOf({ type: 'search', index: 'orders', routing: 'user' }).join('\n')).toContain(
      'observers.orders.actions[0].routing',
    );
    expect(issuesOf({ type: 'search', index: 'orders', extra: 1 }).join('\n')).toContain('extra');
    expect(issuesOf({ type: 'search', index: 'orders' })).toEqual([]);
  });

  it('is in the observers JSON Schema in full once given', () => {
    const schema = JSON.stringify(observersJsonSchema({ actions: [searchActionSchema] }));
    expect(schema).toContain('"routing"');
    expect(schema).toContain('"metadataField"');
    expect(JSON.stringify(observersJsonSchema())).not.toContain('"metadataField"');
  });
});
