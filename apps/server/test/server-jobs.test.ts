import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedisPrefix, createTestDatabase, requireService, waitFor } from '@fraiseql/testing';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../src/fraiseql-server.js';
import { loadServerSettings } from '../src/server-settings.js';

const ADMIN_TOKEN = 'test-operator-token-0123456789';
/** fetch with the admin token the test servers are started with. */
function adminFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const postgres = await requireService('postgres');
const redis = await requireService('redis');

describe.skipIf(postgres === undefined || redis === undefined)(
  'reference server with REDIS_URL',
  () => {
    it('runs async actions on its job-queue workers and exposes queue stats and job dead letters', async () => {
      const received: { id: string; webhookId: string | undefined }[] = [];
      const receiver = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string };
          received.push({
            id: body.id,
            webhookId: request.headers['webhook-id'] as string | undefined,
          });
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

      const cwd = await mkdtemp(join(tmpdir(), 'fraiseql-server-jobs-'));
      cleanups.push(() => rm(cwd, { recursive: true, force: true }));
      await writeFile(
        join(cwd, 'fraiseql.config.yaml'),
        `observers:
  orders_async:
    entity: Order
    events: [INSERT]
    actions:
      - type: webhook
        async: true
        url: http://127.0.0.1:${port}/orders
        allowHosts: ["127.0.0.1"]
        signing: { secrets: ["whsec_ZnJhaXNlcWwtdGVzdC1zZWNyZXQtMTIzNDU2Nzg="] }
        body: { id: "{{ data.id }}" }
`,
      );
      const database = await createTestDatabase(postgres);
      cleanups.push(() => database.close());
      const prefix = await createRedisPrefix();
      cleanups.push(() => prefix.close());

      const server = await startServer(
        loadServerSettings(
          {
            DATABASE_URL: database.url,
            REDIS_URL: redis!.url,
            FRAISEQL_QUEUE_PREFIX: prefix.prefix.slice(0, -1),
            FRAISEQL_WORKERS: '2',
            FRAISEQL_HTTP_PORT: '0',
            FRAISEQL_FLIGHT_PORT: '0',
            FRAISEQL_ADMIN_TOKEN: ADMIN_TOKEN,
            FRAISEQL_DEMO: 'true',
            FRAISEQL_DEMO_INTERVAL: '1h',
          },
          cwd,
        ),
        pino({ level: 'silent' }),
      );
      cleanups.push(() => server.close());

      await server.demo?.tick();
      await waitFor(() => received.length === 1, {
        timeoutMs: 30_000,
        message: 'the async webhook did not arrive',
      });
      expect(received[0]?.webhookId).toMatch(/:orders_async:0$/);

      const stats = (await (await adminFetch(`${server.httpUrl}/admin/queue/stats`)).json()) as {
        queues: { queue: string; completed?: number }[];
      };
      expect(stats.queues.length).toBeGreaterThan(0);
      const dlq = await adminFetch(`${server.httpUrl}/admin/queue/${stats.queues[0]!.queue}/dlq`);
      expect(dlq.status).toBe(200);
      expect(((await dlq.json()) as { items: unknown[] }).items).toEqual([]);
      expect(
        (await adminFetch(`${server.httpUrl}/admin/queue/${stats.queues[0]!.queue}/dlq/nope`))
          .status,
      ).toBe(404);
    });

    it('refuses async actions without REDIS_URL', async () => {
      const cwd = await mkdtemp(join(tmpdir(), 'fraiseql-server-jobs-'));
      cleanups.push(() => rm(cwd, { recursive: true, force: true }));
      await writeFile(
        join(cwd, 'fraiseql.config.yaml'),
        'observers:\n  slow:\n    entity: Order\n    events: [INSERT]\n    actions:\n      - type: function\n        name: demo.welcome\n        async: true\n',
      );
      const database = await createTestDatabase(postgres);
      cleanups.push(() => database.close());
      await expect(
        startServer(
          loadServerSettings(
            { DATABASE_URL: database.url, FRAISEQL_HTTP_PORT: '0', FRAISEQL_FLIGHT_PORT: '0' },
            cwd,
          ),
          pino({ level: 'silent' }),
        ),
      ).rejects.toThrow(/slow have async actions.*REDIS_URL/);
    });
  },
);
