// The reference server with CLICKHOUSE_URL: the ClickHouse sink loads the change log under its
// own consumer, reports its service in /health and the service metrics, survives ClickHouse
// being down at start and lost mid-run, and serves analytics on the admin API. Real ClickHouse:
// the shared server with a private database, and a private server the test stops and starts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpConnection } from '@fraiseql/clickhouse';
import { requireService, startService, uniqueName, waitFor } from '@fraiseql/testing';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type FraiseQLServer } from '../src/fraiseql-server.js';
import { loadServerSettings } from '../src/server-settings.js';

const clickhouse = await requireService('clickhouse');
const OPERATOR = 'operator-token-0123456789abcdef';
const READ_ONLY = 'read-only-token-0123456789abcdef';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(url: string, database: string): Promise<FraiseQLServer> {
  const dir = await mkdtemp(join(tmpdir(), 'fraiseql-server-ch-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const server = await startServer(
    loadServerSettings(
      {
        FRAISEQL_HTTP_PORT: '0',
        FRAISEQL_FLIGHT_PORT: '0',
        FRAISEQL_DEMO_INTERVAL: '1h',
        FRAISEQL_DATA_DIR: dir,
        FRAISEQL_ADMIN_TOKEN: OPERATOR,
        FRAISEQL_ADMIN_READONLY_TOKEN: READ_ONLY,
        CLICKHOUSE_URL: url,
        CLICKHOUSE_DATABASE: database,
        FRAISEQL_SINK_CHECK_INTERVAL: '200ms',
      },
      dir,
    ),
    pino({ level: 'silent' }),
  );
  cleanups.push(() => server.close());
  return server;
}

interface ServiceEntry {
  name: string;
  state: string;
  outages: number;
}

async function clickhouseHealth(server: FraiseQLServer): Promise<ServiceEntry | undefined> {
  const body = (await (await fetch(`${server.httpUrl}/health`)).json()) as {
    services: ServiceEntry[];
  };
  return body.services.find((service) => service.name === 'clickhouse');
}

/** Ids of the change-log events the demo wrote (NOOP rows are not events). */
async function changeLogIds(server: FraiseQLServer): Promise<string[]> {
  const result = await server.db.query<{ id: string }>(
    `SELECT id::text AS id FROM core.tb_entity_change_log WHERE upper(modification_type) <> 'NOOP' ORDER BY id`,
  );
  return result.rows.map((row) => row.id);
}

async function storedIds(url: string, database: string): Promise<string[]> {
  const connection = createHttpConnection({ url });
  try {
    const rows = await connection.query<{ event_id: string }>(
      `SELECT DISTINCT toString(event_id) AS event_id FROM ${database}.fraiseql_events ORDER BY event_id`,
    );
    return rows.map((row) => row.event_id);
  } catch {
    return [];
  } finally {
    await connection.close();
  }
}

async function allStored(server: FraiseQLServer, url: string, database: string): Promise<void> {
  await waitFor(
    async () => {
      const expected = await changeLogIds(server);
      const stored = await storedIds(url, database);
      return expected.length > 0 && JSON.stringify(stored) === JSON.stringify(expected);
    },
    { timeoutMs: 60_000, message: 'every change-log event stored in ClickHouse' },
  );
}

describe.skipIf(clickhouse === undefined)('reference server with CLICKHOUSE_URL', () => {
  it('loads every event, reports the service and serves analytics to both token roles', async () => {
    const database = uniqueName('server_ch').replace(/[^A-Za-z0-9_]/g, '_');
    cleanups.push(async () => {
      const connection = createHttpConnection({ url: clickhouse!.url });
      await connection.command(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
      await connection.close();
    });
    const server = await start(clickhouse!.url, database);
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`${server.httpUrl}/demo/orders`, { method: 'POST' })).status).toBe(202);
    }
    await allStored(server, clickhouse!.url, database);
    expect(await clickhouseHealth(server)).toMatchObject({ state: 'up' });

    // The sink's progress is its own change-log reader's, apart from the observers' consumers.
    const readers = await server.db.query<{ reader: string; position: string }>(
      `SELECT reader, transaction_id::text AS position FROM core.tb_change_log_reader ORDER BY reader`,
    );
    expect(readers.rows.map((row) => row.reader)).toEqual(['fraiseql-server:clickhouse']);
    expect(Number(readers.rows[0]?.position)).toBeGreaterThan(0);
    const consumers = await server.db.query<{ consumer: string }>(
      `SELECT DISTINCT consumer FROM core.tb_observer_checkpoint ORDER BY consumer`,
    );
    expect(consumers.rows.map((row) => row.consumer)).not.toContain('fraiseql-server:clickhouse');

    const get = (path: string, token: string) =>
      fetch(`${server.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const total = (await changeLogIds(server)).length;
    for (const token of [OPERATOR, READ_ONLY]) {
      const series = await get('/admin/analytics/clickhouse/time-series?from=1h&bucket=1h', token);
      expect(series.status).toBe(200);
      const body = (await series.json()) as { rows: { events: number }[] };
      expect(body.rows.reduce((sum, row) => sum + row.events, 0)).toBe(total);
    }
    const tenants = await get('/admin/analytics/clickhouse/active-tenants?from=1d', READ_ONLY);
    expect(tenants.status).toBe(200);
    const top = await get('/admin/analytics/clickhouse/top-entities?limit=2', READ_ONLY);
    expect(((await top.json()) as { rows: unknown[] }).rows.length).toBeGreaterThan(0);

    const bad = await get('/admin/analytics/clickhouse/time-series?bucket=90s', READ_ONLY);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(
      /bucket: expected whole minutes/,
    );
    expect((await get('/admin/analytics/clickhouse/nope', READ_ONLY)).status).toBe(400);
    expect((await get('/admin/analytics/clickhouse/top-entities?limit=0', READ_ONLY)).status).toBe(
      400,
    );
    expect((await fetch(`${server.httpUrl}/admin/analytics/clickhouse/time-series`)).status).toBe(
      401,
    );
    // Not configured here: 404.
    const es = await get('/admin/analytics/elasticsearch/search', READ_ONLY);
    expect(es.status).toBe(404);
    expect(((await es.json()) as { error: string }).error).toMatch(/ELASTICSEARCH_URL/);
  }, 120_000);

  it('keeps running with ClickHouse down at start, loads once it is up, and after it was lost', async () => {
    const private_ = await startService('clickhouse');
    cleanups.push(() => private_.stop());
    await private_.stop();
    const database = 'fraiseql_server';
    const server = await start(private_.url, database);

    expect((await fetch(`${server.httpUrl}/demo/orders`, { method: 'POST' })).status).toBe(202);
    const down = await waitFor(async () => {
      const entry = await clickhouseHealth(server);
      return entry?.state === 'down' ? entry : false;
    });
    expect(down.outages).toBe(0);
    // The observers run on: the health answers 200 and the demo event is processed.
    const health = await fetch(`${server.httpUrl}/health`);
    expect(health.status).toBe(200);
    await waitFor(async () => {
      const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
      return /^fraiseql_service_up\{service="clickhouse",kind="clickhouse"\} 0$/m.test(text);
    });

    await private_.start();
    await waitFor(async () => (await clickhouseHealth(server))?.state === 'up', {
      timeoutMs: 60_000,
    });
    await allStored(server, private_.url, database);

    await private_.stop();
    await waitFor(async () => (await clickhouseHealth(server))?.state === 'reconnecting', {
      timeoutMs: 30_000,
    });
    for (let i = 0; i < 2; i++) {
      expect((await fetch(`${server.httpUrl}/demo/orders`, { method: 'POST' })).status).toBe(202);
    }
    expect((await fetch(`${server.httpUrl}/health`)).status).toBe(200);
    await private_.start();
    await waitFor(async () => (await clickhouseHealth(server))?.state === 'up', {
      timeoutMs: 60_000,
    });
    await allStored(server, private_.url, database);
    const after = await clickhouseHealth(server);
    expect(after?.state).toBe('up');
    // The outage caused here is counted; a server that has just restarted may refuse one more
    // request while it loads its tables (seen once under load), which counts as another.
    expect(after?.outages).toBeGreaterThanOrEqual(1);
    await waitFor(async () => {
      const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
      return /^fraiseql_service_up\{service="clickhouse",kind="clickhouse"\} 1$/m.test(text);
    });
  }, 240_000);
});
