// The reference server with ELASTICSEARCH_URL, through an in-process stand-in for the server
// (@elastic/elasticsearch-mock behind the real client): no Elasticsearch server runs on the
// test machines. The event-history sink loads the change log under its own consumer, reports
// its service (down at start, lost, back) and serves analytics and search on the admin API.
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type errors as esErrors } from '@elastic/elasticsearch';
import MockModule, { type MockPattern, type ResolverFn } from '@elastic/elasticsearch-mock';
import { waitFor } from '@fraiseql/testing';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type FraiseQLServer } from '../src/fraiseql-server.js';
import { loadServerSettings } from '../src/server-settings.js';

const READ_ONLY = 'read-only-token-0123456789abcdef';

interface ClientMock {
  add(pattern: MockPattern, resolver: ResolverFn): ClientMock;
  getConnection(): NonNullable<ConstructorParameters<typeof Client>[0]['Connection']>;
}
// CommonJS module whose types declare a default export.
const Mock = MockModule as unknown as new () => ClientMock;
// The mock recognises the error classes of the client's CommonJS build.
const requireFromMock = createRequire(
  createRequire(import.meta.url).resolve('@elastic/elasticsearch-mock'),
);
const { ConnectionError } = (
  requireFromMock('@elastic/elasticsearch') as { errors: typeof esErrors }
).errors;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A scripted Elasticsearch: `reachable` switches every answer to a connection failure. */
function fakeElasticsearch() {
  const mock = new Mock();
  const state = { reachable: false, stored: new Map<string, Record<string, unknown>>() };
  const searches: Record<string, unknown>[] = [];
  const guard =
    (answer: (params: MockPattern) => unknown): ResolverFn =>
    (params) =>
      state.reachable
        ? (answer(params) as Record<string, unknown>)
        : new ConnectionError('connect ECONNREFUSED 127.0.0.1:9200');
  mock.add(
    { method: 'GET', path: '/' },
    guard(() => ({ name: 'n', cluster_name: 'c', version: { number: '9.1.0' }, tagline: 'x' })),
  );
  for (const path of [
    '/_component_template/:name',
    '/_index_template/:name',
    '/_ilm/policy/:name',
  ]) {
    mock.add(
      { method: 'PUT', path },
      guard(() => ({ acknowledged: true })),
    );
  }
  mock.add(
    { method: 'POST', path: '/_bulk' },
    guard((params) => {
      const lines = params.body as Record<string, { _index: string; _id: string }>[];
      const items: unknown[] = [];
      for (let i = 0; i < lines.length; i += 2) {
        const action = lines[i]!;
        const op = Object.keys(action)[0]!;
        state.stored.set(action[op]!._id, lines[i + 1] as Record<string, unknown>);
        items.push({ [op]: { _index: action[op]!._index, _id: action[op]!._id, status: 201 } });
      }
      return { took: 1, errors: false, items };
    }),
  );
  mock.add(
    { method: 'POST', path: '/:index/_search' },
    guard((params) => {
      searches.push(params.body as Record<string, unknown>);
      const hits = [...state.stored.values()].map((source) => ({
        _index: 'fraiseql-events-2026.12',
        _id: source.event_id,
        _score: 1,
        _source: source,
        highlight: { search_text: ['<em>order</em>'] },
      }));
      return { took: 1, hits: { total: { value: hits.length, relation: 'eq' }, hits } };
    }),
  );
  const client = new Client({
    node: 'http://127.0.0.1:9200',
    Connection: mock.getConnection(),
    maxRetries: 0,
  });
  return { client, state, searches };
}

async function esHealth(server: FraiseQLServer) {
  const body = (await (await fetch(`${server.httpUrl}/health`)).json()) as {
    services: { name: string; state: string; outages: number }[];
  };
  return body.services.find((service) => service.name === 'elasticsearch');
}

describe('reference server with ELASTICSEARCH_URL (Elasticsearch mock transport)', () => {
  it('loads the change log once Elasticsearch answers, reports it lost and back, serves search', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fraiseql-server-es-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const es = fakeElasticsearch();
    const server = await startServer(
      loadServerSettings(
        {
          FRAISEQL_HTTP_PORT: '0',
          FRAISEQL_FLIGHT_PORT: '0',
          FRAISEQL_DEMO_INTERVAL: '1h',
          FRAISEQL_DATA_DIR: dir,
          FRAISEQL_ADMIN_READONLY_TOKEN: READ_ONLY,
          ELASTICSEARCH_URL: 'http://127.0.0.1:9200',
          FRAISEQL_SINK_CHECK_INTERVAL: '100ms',
        },
        dir,
      ),
      pino({ level: 'silent' }),
      { elasticsearchClient: es.client },
    );
    cleanups.push(() => server.close());
    const eventIds = async () =>
      (
        await server.db.query<{ id: string }>(
          `SELECT id::text AS id FROM core.tb_entity_change_log WHERE upper(modification_type) <> 'NOOP' ORDER BY id`,
        )
      ).rows.map((row) => row.id);
    const allStored = () =>
      waitFor(
        async () => {
          const ids = await eventIds();
          return ids.length > 0 && ids.every((id) => es.state.stored.has(id));
        },
        { timeoutMs: 30_000, message: 'every change-log event in the event history' },
      );

    // Down at start: the server runs, the observers too.
    expect((await fetch(`${server.httpUrl}/demo/orders`, { method: 'POST' })).status).toBe(202);
    await waitFor(async () => (await esHealth(server))?.state === 'down');
    expect((await fetch(`${server.httpUrl}/health`)).status).toBe(200);
    expect(es.state.stored.size).toBe(0);

    es.state.reachable = true;
    await waitFor(async () => (await esHealth(server))?.state === 'up');
    await allStored();
    const first = (await eventIds())[0]!;
    expect(es.state.stored.get(first)).toMatchObject({ event_id: first });

    es.state.reachable = false;
    await waitFor(async () => (await esHealth(server))?.state === 'reconnecting');
    expect((await fetch(`${server.httpUrl}/demo/orders`, { method: 'POST' })).status).toBe(202);
    await waitFor(async () => {
      const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
      return /^fraiseql_service_up\{service="elasticsearch",kind="elasticsearch"\} 0$/m.test(text);
    });
    es.state.reachable = true;
    await allStored();
    await waitFor(async () => (await esHealth(server))?.state === 'up');
    expect(await esHealth(server)).toMatchObject({ outages: 1 });

    const get = (path: string) =>
      fetch(`${server.httpUrl}${path}`, { headers: { authorization: `Bearer ${READ_ONLY}` } });
    const search = await get(
      '/admin/analytics/elasticsearch/search?text=order&tenantId=acme&eventType=insert,update',
    );
    expect(search.status).toBe(200);
    const found = (await search.json()) as { result: { total: number; hits: unknown[] } };
    expect(found.result.total).toBe(es.state.stored.size);
    expect(JSON.stringify(es.searches.at(-1))).toContain('"tenant_id":"acme"');
    expect(JSON.stringify(es.searches.at(-1))).toContain('"event_type":["INSERT","UPDATE"]');

    const bad = await get('/admin/analytics/elasticsearch/search?eventType=MERGE');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/eventType: expected/);
    expect((await get('/admin/analytics/elasticsearch/search?colour=red')).status).toBe(400);
    expect((await get('/admin/analytics/elasticsearch/histogram?from=yesterday')).status).toBe(400);
    expect((await get('/admin/analytics/clickhouse/time-series')).status).toBe(404);
  }, 120_000);
});
