// fraiseql analytics clickhouse / analytics elasticsearch / search through the built binary.
// ClickHouse: the real server (a private database per test) and PostgreSQL for the backfill.
// Elasticsearch: no server can run here, so the binary is pointed at a small HTTP stand-in on
// loopback that answers like Elasticsearch 9 and records the searches it receives.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpConnection } from '@fraiseql/clickhouse';
import { connectDatabase, coreMigrations, migrate, type SqlClient } from '@fraiseql/core';
import {
  createTestDatabase,
  requireService,
  uniqueName,
  type TestDatabase,
} from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const pg = await requireService('postgres');
const clickhouse = await requireService('clickhouse');

describe.skipIf(pg === undefined || clickhouse === undefined)(
  'fraiseql analytics clickhouse against ClickHouse and PostgreSQL',
  () => {
    let database: TestDatabase;
    let db: SqlClient;
    const chDatabase = uniqueName('cli_ch').replace(/[^A-Za-z0-9_]/g, '_');
    const ch = (...args: string[]) =>
      runCli(['analytics', 'clickhouse', ...args, '--clickhouse-database', chDatabase], {
        env: { CLICKHOUSE_URL: clickhouse!.url, DATABASE_URL: database.url },
      });

    beforeAll(async () => {
      database = await createTestDatabase(pg);
      db = await connectDatabase({ url: database.url });
      await migrate(db, { sets: [coreMigrations] });
      await db.query(
        `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
         SELECT (ARRAY['order', 'customer'])[1 + g % 2], (g % 7)::text,
                (ARRAY['INSERT', 'UPDATE'])[1 + (g / 2) % 2], jsonb_build_object('n', g)
         FROM generate_series(1, 60) g`,
      );
    });
    afterAll(async () => {
      const connection = createHttpConnection({ url: clickhouse!.url });
      await connection.command(`DROP DATABASE IF EXISTS ${chDatabase}`).catch(() => undefined);
      await connection.close();
      await db.close();
      await database.close();
    });

    it('backfills a sequence range with progress, re-runs without double counting, and queries it', async () => {
      const max = await db.query<{ max: string }>(
        'SELECT max(pk_entity_change_log)::text AS max FROM core.tb_entity_change_log',
      );
      const to = max.rows[0]!.max;
      const first = await ch('backfill', '--from', '1', '--to', to);
      expect(first.stderr).toMatch(/^backfill: 60 events stored, up to sequence \d+ of \d+$/m);
      expect(first.stdout).toContain(`60 events from the change log (sequences 1–${to})`);
      expect(first.code).toBe(0);
      const again = await ch('backfill', '--from', '1', '--to', to, '--json');
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ events: 60, database: chDatabase });

      const series = await ch('time-series', '--from', '1h', '--bucket', '1h', '--json');
      expect(series.code).toBe(0);
      const body = JSON.parse(series.stdout) as { rows: { events: number }[] };
      expect(body.rows.reduce((sum, row) => sum + row.events, 0)).toBe(60);

      const byKind = await ch(
        'time-series',
        '--from',
        '1h',
        '--bucket',
        '1h',
        '--by',
        'event_type',
      );
      expect(byKind.code).toBe(0);
      expect(byKind.stdout).toMatch(/INSERT\s+30/);
      expect(byKind.stdout).toMatch(/UPDATE\s+30/);

      const top = await ch('top-entities', '--entity-type', 'order', '--limit', '2', '--json');
      expect(top.code).toBe(0);
      expect((JSON.parse(top.stdout) as { rows: unknown[] }).rows).toHaveLength(2);
    }, 120_000);

    it('exits 2 on bad usage, naming what was wrong', async () => {
      const bucket = await ch('time-series', '--bucket', '90s');
      expect(bucket.code).toBe(2);
      expect(bucket.stderr).toContain('bucket: expected whole minutes');
      const unknown = await ch('histogram');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('unknown query "histogram"');
      const misplaced = await ch('time-series', '--limit', '3');
      expect(misplaced.code).toBe(2);
      expect(misplaced.stderr).toContain('unknown parameter "limit"');
      const backfill = await ch('backfill', '--from', 'yesterday', '--to', '9');
      expect(backfill.code).toBe(2);
      expect(backfill.stderr).toContain('backfill needs --from <sequence>');
      const unreachable = await runCli(
        ['analytics', 'clickhouse', 'top-entities', '--url', 'http://127.0.0.1:9'],
        {},
      );
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toContain('cannot reach ClickHouse at http://127.0.0.1:9');
    }, 60_000);
  },
);

describe('fraiseql search and analytics elasticsearch (HTTP stand-in for Elasticsearch)', () => {
  let server: Server;
  let url = '';
  const searches: { path: string; body: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      request.on('end', () => {
        response.setHeader('x-elastic-product', 'Elasticsearch');
        response.setHeader('content-type', 'application/json');
        if (request.method === 'GET' && request.url === '/') {
          response.end(JSON.stringify({ version: { number: '9.1.0' }, tagline: 'x' }));
          return;
        }
        if (request.method === 'POST' && request.url?.includes('/_search') === true) {
          searches.push({ path: request.url, body: JSON.parse(text) as Record<string, unknown> });
          response.end(
            JSON.stringify({
              took: 1,
              hits: {
                total: { value: 1, relation: 'eq' },
                hits: [
                  {
                    _id: 'e1',
                    _score: 2.5,
                    _source: {
                      '@timestamp': '2026-12-05T10:00:00.000Z',
                      event_id: 'e1',
                      seq: 7,
                      event_type: 'UPDATE',
                      entity_type: 'Customer',
                      entity_id: '42',
                      tenant_id: 'acme',
                      data: { name: 'Ada Lovelace' },
                    },
                    highlight: { search_text: ['Ada <em>Lovelace</em>'] },
                  },
                ],
              },
            }),
          );
          return;
        }
        response.statusCode = 404;
        response.end(JSON.stringify({ error: { type: 'not_found' }, status: 404 }));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  afterAll(async () => {
    server.close();
    await once(server, 'close');
  });

  it('searches the event history with filters and prints the hits', async () => {
    const result = await runCli(['search', 'ada', 'lovelace', '--tenant', 'acme', '--url', url]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/UPDATE\s+Customer\/42\s+acme\s+Ada \*Lovelace\*/);
    expect(result.stdout).toContain('1 event(s) found');
    const sent = JSON.stringify(searches.at(-1)?.body);
    expect(searches.at(-1)?.path).toMatch(/^\/fraiseql-events-\*\/_search/);
    expect(sent).toContain('ada lovelace');
    expect(sent).toContain('"tenant_id":"acme"');

    const json = await runCli([
      'analytics',
      'elasticsearch',
      'search',
      '--text',
      'lovelace',
      '--index-prefix',
      'history',
      '--json',
      '--url',
      url,
    ]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      kind: 'search',
      result: { total: 1, hits: [{ entityId: '42', highlights: ['Ada <em>Lovelace</em>'] }] },
    });
    expect(searches.at(-1)?.path).toMatch(/^\/history-\*\/_search/);
  });

  it('exits 2 on bad usage and 1 when Elasticsearch cannot be reached', async () => {
    const interval = await runCli([
      'analytics',
      'elasticsearch',
      'histogram',
      '--interval',
      '7q',
      '--url',
      url,
    ]);
    expect(interval.code).toBe(2);
    expect(interval.stderr).toContain('interval: expected a fixed interval');
    const kind = await runCli(['search', 'x', '--event-type', 'MERGE', '--url', url]);
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain('eventType: expected INSERT, UPDATE, DELETE, CUSTOM');
    const query = await runCli(['analytics', 'elasticsearch', 'nope', '--url', url]);
    expect(query.code).toBe(2);
    const down = await runCli(['search', 'x', '--url', 'http://127.0.0.1:9']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach Elasticsearch at http://127.0.0.1:9');
  });
});
