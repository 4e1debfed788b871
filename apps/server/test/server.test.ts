import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createTestDatabase, requireService, waitFor } from '@fraiseql/testing';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type FraiseQLServer } from '../src/fraiseql-server.js';
import { loadServerSettings } from '../src/server-settings.js';

const ADMIN_TOKEN = 'test-operator-token-0123456789';
/** fetch with the admin token the test servers are started with. */
function adminFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
}

interface LogLine {
  msg: string;
  entityType?: string;
  eventType?: string;
  webhookId?: string;
  signed?: boolean;
  text?: string;
}

function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (text !== '') lines.push(JSON.parse(text) as LogLine);
      }
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fraiseql-server-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function start(
  env: NodeJS.ProcessEnv,
  cwd?: string,
): Promise<{ server: FraiseQLServer; lines: LogLine[] }> {
  const { logger, lines } = captureLogger();
  const server = await startServer(
    loadServerSettings(
      {
        FRAISEQL_HTTP_PORT: '0',
        FRAISEQL_FLIGHT_PORT: '0',
        FRAISEQL_DEMO_INTERVAL: '1h',
        FRAISEQL_ADMIN_TOKEN: ADMIN_TOKEN,
        ...env,
      },
      cwd ?? (await tempDir()),
    ),
    logger,
  );
  cleanups.push(() => server.close());
  return { server, lines };
}

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

describe('reference server on embedded PostgreSQL (PGlite) with the demo observers', () => {
  it('starts with no configuration, serves /health and the admin API, and fires the demo actions', async () => {
    const dataDir = await tempDir();
    const cwd = await tempDir();
    const { server, lines } = await start({ FRAISEQL_DATA_DIR: dataDir }, cwd);

    const health = await fetch(`${server.httpUrl}/health`);
    expect(health.status).toBe(200);
    expect((await json<{ state: string }>(health)).state).toBe('running');

    // It says once how to replace the demo observers with one's own.
    expect(
      lines.filter((line) => line.msg.startsWith('running the demo observers; to run your own')),
    ).toHaveLength(1);
    expect(lines.find((line) => line.msg.startsWith('running the demo'))?.msg).toContain(
      'allowHosts',
    );

    // The gold customer seeded at start triggers the function action.
    await waitFor(() => lines.some((line) => line.msg.startsWith('demo function: welcome, Ada')), {
      timeoutMs: 30_000,
      message: 'the demo function action did not run for the gold customer',
    });

    // Two writes: an order is inserted (webhook) and the first order moves pending → paid → shipped (Slack).
    expect((await fetch(`${server.httpUrl}/demo/orders`, { method: 'POST' })).status).toBe(202);
    expect((await fetch(`${server.httpUrl}/demo/orders`, { method: 'POST' })).status).toBe(202);
    await waitFor(
      () => lines.some((line) => line.msg === 'demo webhook received' && line.signed === true),
      {
        timeoutMs: 30_000,
        message: 'the demo webhook was not received',
      },
    );
    await waitFor(() => lines.some((line) => line.msg.startsWith('demo Slack message: Order ')), {
      timeoutMs: 30_000,
      message: 'the demo Slack message was not received',
    });
    expect(lines.find((line) => line.msg === 'demo webhook received')?.webhookId).toMatch(
      /order_created_webhook/,
    );

    const listed = await json<{ origin: string; observers: { name: string; state: string }[] }>(
      await adminFetch(`${server.httpUrl}/admin/observers`),
    );
    expect(listed.origin).toBe('demo');
    expect(listed.observers.map((o) => o.name).sort()).toEqual([
      'gold_customer_welcome',
      'order_created_webhook',
      'order_shipped_slack',
    ]);
    const paused = await adminFetch(`${server.httpUrl}/admin/observers/order_shipped_slack/pause`, {
      method: 'POST',
    });
    expect(await json<{ state: string }>(paused)).toEqual({
      name: 'order_shipped_slack',
      state: 'paused',
    });
    const resumed = await adminFetch(
      `${server.httpUrl}/admin/observers/order_shipped_slack/resume`,
      {
        method: 'POST',
      },
    );
    expect((await json<{ state: string }>(resumed)).state).toBe('running');
    expect(
      (await adminFetch(`${server.httpUrl}/admin/observers/nope/pause`, { method: 'POST' })).status,
    ).toBe(404);

    const stats = await json<{ total: number }>(
      await adminFetch(`${server.httpUrl}/admin/dlq/stats`),
    );
    expect(stats.total).toBe(0);
    expect(
      (await adminFetch(`${server.httpUrl}/admin/dlq/00000000-0000-0000-0000-000000000000`)).status,
    ).toBe(404);
    expect((await adminFetch(`${server.httpUrl}/admin/dlq?limit=x`)).status).toBe(400);
    expect((await fetch(`${server.httpUrl}/nope`)).status).toBe(404);

    // A config file written after start replaces the demo observers without a restart.
    await writeFile(
      join(cwd, 'fraiseql.config.yaml'),
      `observers:
  my_orders:
    entity: Order
    events: [INSERT]
    actions:
      - type: webhook
        url: ${server.httpUrl}/demo/webhook
        allowHosts: ["127.0.0.1"]
`,
    );
    const reloaded = await waitFor(
      async () => {
        const list = await json<{ origin: string; observers: { name: string }[] }>(
          await adminFetch(`${server.httpUrl}/admin/observers`),
        );
        return list.origin === 'demo' ? undefined : list;
      },
      { timeoutMs: 30_000, message: 'the config file written after start was not loaded' },
    );
    expect(reloaded.origin).toBe(join(cwd, 'fraiseql.config.yaml'));
    expect(reloaded.observers.map((o) => o.name)).toEqual(['my_orders']);
  });
});

const postgres = await requireService('postgres');

describe.skipIf(postgres === undefined)(
  'reference server with DATABASE_URL and a config file',
  () => {
    it('runs the observers of fraiseql.config.yaml on the given PostgreSQL, dead-letters failures and retries them', async () => {
      const received: unknown[] = [];
      let failing = true;
      const receiver = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          if (failing) {
            response.writeHead(400).end('bad');
            return;
          }
          received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          response.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      cleanups.push(
        () =>
          new Promise((resolve) => {
            receiver.close(() => {
              resolve();
            });
          }),
      );
      const port = (receiver.address() as AddressInfo).port;

      const cwd = await tempDir();
      await writeFile(
        join(cwd, 'fraiseql.config.yaml'),
        `observers:
  big_orders:
    entity: Order
    events: [INSERT]
    condition: "data.total >= 0"
    onFailure: dlq
    retry: { maxAttempts: 1 }
    actions:
      - type: webhook
        url: http://127.0.0.1:${port}/orders
        allowHosts: ["127.0.0.1"]
        body: { id: "{{ data.id }}" }
`,
      );
      const database = await createTestDatabase(postgres);
      cleanups.push(() => database.close());
      const { server } = await start({ DATABASE_URL: database.url, FRAISEQL_DEMO: 'true' }, cwd);
      expect(server.db.dialect).toBe('postgres');
      expect(server.observers.configOrigin).toBe(join(cwd, 'fraiseql.config.yaml'));

      await server.demo?.tick();
      const items = await waitFor(
        async () => {
          const list = await json<{ items: { id: string; observer: string }[] }>(
            await adminFetch(`${server.httpUrl}/admin/dlq?observer=big_orders`),
          );
          return list.items.length > 0 ? list.items : undefined;
        },
        { timeoutMs: 30_000, message: 'the 400 answer was not dead-lettered' },
      );
      failing = false;
      const retried = await adminFetch(`${server.httpUrl}/admin/dlq/${items[0]!.id}/retry`, {
        method: 'POST',
      });
      expect(retried.status).toBe(200);
      expect(received).toHaveLength(1);
      const stats = await json<{ total: number }>(
        await adminFetch(`${server.httpUrl}/admin/dlq/stats`),
      );
      expect(stats.total).toBe(0);
    });

    it('refuses to start on an invalid config file, naming the path and line', async () => {
      const cwd = await tempDir();
      await writeFile(
        join(cwd, 'fraiseql.config.yaml'),
        'observers:\n  bad:\n    entity: Order\n    events: [INSERT]\n    actions:\n      - type: webhook\n        url: "htp:/x"\n',
      );
      const database = await createTestDatabase(postgres);
      cleanups.push(() => database.close());
      await expect(start({ DATABASE_URL: database.url }, cwd)).rejects.toThrow(
        /observers\.bad\.actions\[0\]\.url.*fraiseql\.config\.yaml:7/s,
      );
    });

    it('rejects invalid settings with the variable name and value', () => {
      expect(() => loadServerSettings({ FRAISEQL_HTTP_PORT: 'eighty' })).toThrow(
        /FRAISEQL_HTTP_PORT.*"eighty"/s,
      );
      expect(() => loadServerSettings({ FRAISEQL_CONFIG: 'missing.yaml' }, tmpdir())).toThrow(
        /FRAISEQL_CONFIG: no file/,
      );
    });
  },
);
