// The live suite: the same scenarios as the mock suites, against a real Elasticsearch or
// OpenSearch server at ELASTICSEARCH_URL. Skipped when the variable is not set (no server can
// run on the development machines); `.ci/run` runs it whenever the variable is present.
//   ELASTICSEARCH_URL=http://127.0.0.1:9200 pnpm exec vitest run packages/elasticsearch/test/live.test.ts
import { silentLogger, type EntityEvent } from '@fraiseql/core';
import { uniqueName } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEvent } from './fixtures/mock-elasticsearch.js';
import {
  createElasticsearchConnection,
  createElasticsearchEventSink,
  createMemorySinkDeadLetters,
  createSearchAction,
  eventHistogram,
  searchActionSchema,
  searchEntities,
  searchEvents,
  topEntities,
  type ElasticsearchConnection,
} from '../src/index.js';

const url = process.env.ELASTICSEARCH_URL;
const auth =
  process.env.ELASTICSEARCH_API_KEY !== undefined
    ? { apiKey: process.env.ELASTICSEARCH_API_KEY }
    : process.env.ELASTICSEARCH_USERNAME !== undefined
      ? {
          username: process.env.ELASTICSEARCH_USERNAME,
          password: process.env.ELASTICSEARCH_PASSWORD ?? '',
        }
      : undefined;

if (url === undefined) {
  console.warn(
    'elasticsearch live suite skipped: set ELASTICSEARCH_URL to run it against a server',
  );
}

describe.skipIf(url === undefined)('elasticsearch live suite (real server)', () => {
  const prefix = uniqueName('fq-live')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
  const entityIndex = `${prefix}-orders`;
  let connection: ElasticsearchConnection;

  beforeAll(() => {
    connection = createElasticsearchConnection({
      node: url ?? '',
      ...(auth === undefined ? {} : { auth }),
    });
  });

  afterAll(async () => {
    const drop = async (method: string, path: string): Promise<void> => {
      await connection
        .request({ method, path }, { doing: `cleanup ${path}`, accept: [404] })
        .catch(() => undefined);
    };
    for (const suffix of ['events', 'objects']) {
      const name = `${prefix}-${suffix}`;
      await drop('DELETE', `/_data_stream/${name}`);
      await drop('DELETE', `/${name}-*`);
      await drop('DELETE', `/_index_template/${name}`);
      await drop('DELETE', `/_component_template/${name}-mappings`);
      await drop('DELETE', `/_component_template/${name}-settings`);
      await drop('DELETE', `/_ilm/policy/${name}-policy`);
    }
    await drop('DELETE', `/${entityIndex}`);
    await connection.close();
  });

  const refresh = (target: string) =>
    connection.request(
      { method: 'POST', path: `/${target}/_refresh`, querystring: { ignore_unavailable: true } },
      { doing: 'refresh' },
    );

  it('keeps the newest entity document by external version; older and redelivered events are skipped', async () => {
    const action = createSearchAction({ connection });
    const config = searchActionSchema.parse({
      type: 'search',
      index: entityIndex,
      routing: 'tenant',
    });
    const run = (event: EntityEvent) =>
      action.execute(config, {
        event,
        observer: 'live',
        actionIndex: 0,
        attempt: 1,
        signal: AbortSignal.timeout(30_000),
        logger: silentLogger,
      });
    const base = { entityId: 'o-1', tenantId: 'acme' };
    expect(
      (await run(makeEvent({ ...base, seq: 5n, data: { status: 'paid' } }))).details,
    ).toMatchObject({ result: 'created' });
    expect(
      (await run(makeEvent({ ...base, seq: 3n, data: { status: 'new' } }))).details,
    ).toMatchObject({ result: 'skipped' });
    expect(
      (await run(makeEvent({ ...base, seq: 5n, data: { status: 'paid' } }))).details,
    ).toMatchObject({ result: 'skipped' });
    const stored = await connection.request(
      { method: 'GET', path: `/${entityIndex}/_doc/o-1`, querystring: { routing: 'acme' } },
      { doing: 'get' },
    );
    expect(stored.body).toMatchObject({
      _version: 5,
      _source: { status: 'paid', fraiseql: { seq: '5' } },
    });
    await refresh(entityIndex);
    const found = await searchEntities(connection, {
      index: entityIndex,
      text: 'paid',
      tenantId: 'acme',
    });
    expect(found.hits.map((hit) => [hit.id, hit.version])).toEqual([['o-1', 5]]);
    expect((await run(makeEvent({ ...base, seq: 6n, eventType: 'DELETE' }))).details).toMatchObject(
      { result: 'deleted' },
    );
    expect(
      (await run(makeEvent({ ...base, seq: 4n, data: { status: 'late' } }))).details,
    ).toMatchObject({ result: 'skipped' });
  });

  it('stores event history idempotently, with templates, and answers analytics and search', async () => {
    const deadLetters = createMemorySinkDeadLetters();
    const sink = createElasticsearchEventSink({
      connection,
      deadLetters,
      config: { index: { prefix: `${prefix}-events` }, retentionDays: 30 },
    });
    const events = [
      makeEvent({
        entityId: 'o-1',
        tenantId: 'acme',
        data: { customer: { name: 'Ada Lovelace' } },
      }),
      makeEvent({
        entityId: 'o-1',
        tenantId: 'acme',
        eventType: 'INSERT',
        data: { customer: { name: 'Ada' } },
      }),
      makeEvent({
        entityId: 'o-2',
        tenantId: 'globex',
        data: { customer: { name: 'Grace Hopper' } },
      }),
    ];
    await sink.write(events);
    await sink.flush();
    await sink.write(events);
    await sink.close();
    expect(deadLetters.items).toEqual([]);
    await refresh(`${prefix}-events-*`);
    const count = await connection.request(
      { method: 'GET', path: `/${prefix}-events-*/_count` },
      { doing: 'count' },
    );
    expect((count.body as { count: number }).count).toBe(3);
    const template = await connection.request(
      { method: 'GET', path: `/_index_template/${prefix}-events` },
      { doing: 'get template' },
    );
    expect(JSON.stringify(template.body)).toContain(`${prefix}-events-mappings`);
    const target = { connection, layout: sink.layout };
    const histogram = await eventHistogram(target, { interval: 'day' });
    expect(histogram.reduce((sum, bucket) => sum + bucket.total, 0)).toBe(3);
    expect((await topEntities(target))[0]).toMatchObject({
      entityType: 'Order',
      entityId: 'o-1',
      events: 2,
    });
    const found = await searchEvents(target, { text: 'lovelace', tenantId: 'acme' });
    expect(found.hits.map((hit) => hit.eventId)).toEqual([events[0]?.id]);
    expect(found.hits[0]?.highlights.join(' ')).toContain('<em>Lovelace</em>');
  });

  it('dead-letters a document the mapping refuses and stores the others', async () => {
    const deadLetters = createMemorySinkDeadLetters();
    const sink = createElasticsearchEventSink({
      connection,
      deadLetters,
      config: { index: { prefix: `${prefix}-objects` }, dataMapping: 'object' },
    });
    const good = makeEvent({ data: { amount: 10 } });
    await sink.write([good]);
    await sink.flush();
    const bad = makeEvent({ data: { amount: { nested: 'object where a number was mapped' } } });
    await sink.write([bad, makeEvent({ data: { amount: 11 } })]);
    await sink.close();
    expect(deadLetters.items.map((item) => item.eventId)).toEqual([bad.id]);
    expect(deadLetters.items[0]?.errorType).toMatch(/parsing_exception/);
    expect(sink.stats()).toMatchObject({ indexed: 2, deadLettered: 1 });
  });
});
