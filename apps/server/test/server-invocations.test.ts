import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { installCapture } from '@fraiseql/core';
import { createTestDatabase, requireService, type TestDatabase } from '@fraiseql/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type FraiseQLServer } from '../src/fraiseql-server.js';
import { loadServerSettings } from '../src/server-settings.js';

// The invocation log through the reference server's admin API, on a real PostgreSQL.

const OPERATOR = 'operator-token-invocations-0123456789';
const READ_ONLY = 'read-only-token-invocations-0123456789';
const postgres = await requireService('postgres');

interface InvocationJson {
  id: string;
  eventId: string;
  observer: string;
  attempt: number;
  outcome: string;
  httpStatus?: number;
  trigger: string;
  actor?: string;
  responseBody?: string;
  responseHeaders?: Record<string, string>;
}

describe.skipIf(postgres === undefined)('reference server invocation log', () => {
  let dir: string;
  let database: TestDatabase;
  let server: FraiseQLServer;
  let receiver: Server;
  let failing = true;
  const audit: { msg: string; actor?: string; path?: string }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fraiseql-invocations-'));
    receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (failing) response.writeHead(400, { 'set-cookie': 'sid=secret-cookie' }).end('nope');
        else response.writeHead(200).end('thanks');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as AddressInfo).port;
    await writeFile(
      join(dir, 'fraiseql.config.yaml'),
      `observers:
  gadget_hook:
    entity: Gadget
    events: [INSERT]
    condition: "data.size > 2"
    retry: { maxAttempts: 1 }
    actions:
      - { type: webhook, url: "http://127.0.0.1:${port}/gadgets", allowHosts: ["127.0.0.1"] }
`,
    );
    database = await createTestDatabase(postgres);
    server = await startServer(
      loadServerSettings(
        {
          DATABASE_URL: database.url,
          FRAISEQL_DEMO: 'false',
          FRAISEQL_HTTP_PORT: '0',
          FRAISEQL_FLIGHT: 'false',
          FRAISEQL_CONSOLE: 'false',
          FRAISEQL_ADMIN_TOKEN: OPERATOR,
          FRAISEQL_ADMIN_READONLY_TOKEN: READ_ONLY,
          FRAISEQL_DATA_DIR: join(dir, 'data'),
        },
        dir,
      ),
      pino(
        { level: 'info' },
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            for (const text of chunk.toString('utf8').split('\n')) {
              if (text.includes('admin change')) audit.push(JSON.parse(text) as (typeof audit)[0]);
            }
            callback();
          },
        }),
      ),
    );
    await server.db.exec(
      'CREATE SCHEMA IF NOT EXISTS app; CREATE TABLE app.tb_gadget (id uuid PRIMARY KEY, size int NOT NULL)',
    );
    await installCapture(server.db, {
      table: 'app.tb_gadget',
      entityType: 'Gadget',
      idColumn: 'id',
    });
  }, 120_000);

  afterAll(async () => {
    await server.close();
    await new Promise((resolve) => receiver.close(resolve));
    await database.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function admin<T>(path: string, method = 'GET', token = OPERATOR): Promise<[number, T]> {
    const response = await fetch(new URL(path, server.httpUrl), {
      method,
      headers: { authorization: `Bearer ${token}` },
    });
    return [response.status, (await response.json()) as T];
  }

  async function invocationsOf(event: string): Promise<InvocationJson[]> {
    const [, body] = await admin<{ items: InvocationJson[] }>(`/admin/invocations?event=${event}`);
    return body.items;
  }

  async function insertGadget(size: number): Promise<string> {
    const id = randomUUID();
    await server.db.query('INSERT INTO app.tb_gadget (id, size) VALUES ($1, $2)', [id, size]);
    const { rows } = await server.db.query<{ id: string }>(
      'SELECT id::text AS id FROM core.tb_entity_change_log WHERE object_id = $1',
      [id],
    );
    return rows[0]!.id;
  }

  it('logs a failed delivery, a read-only token cannot redeliver, and an operator redelivery is logged with who asked', async () => {
    const eventId = await insertGadget(5);
    await expect.poll(() => invocationsOf(eventId), { timeout: 20_000 }).toHaveLength(1);
    const [first] = await invocationsOf(eventId);
    expect(first).toMatchObject({
      observer: 'gadget_hook',
      attempt: 1,
      outcome: 'failure',
      httpStatus: 400,
      trigger: 'delivery',
      responseBody: 'nope',
    });
    expect(first?.responseHeaders?.['set-cookie']).toBe('<redacted>');

    const path = `/admin/observers/gadget_hook/redeliver/${eventId}`;
    expect((await admin(path, 'POST', READ_ONLY))[0]).toBe(403);
    expect(await invocationsOf(eventId)).toHaveLength(1);

    failing = false;
    const [status, result] = await admin<{ ok: boolean }>(path, 'POST');
    expect(status).toBe(200);
    expect(result.ok).toBe(true);
    const after = await invocationsOf(eventId);
    expect(after.map((row) => [row.outcome, row.trigger, row.actor ?? null])).toEqual([
      ['success', 'redelivery', 'operator'],
      ['failure', 'delivery', null],
    ]);
    expect(audit.some((line) => line.path === path && line.actor === 'operator')).toBe(true);
    failing = true;
  });

  it('filters by observer, status and since, and refuses a bad filter with 400', async () => {
    const eventId = await insertGadget(7);
    await expect.poll(() => invocationsOf(eventId), { timeout: 20_000 }).toHaveLength(1);
    const [, byStatus] = await admin<{ items: InvocationJson[] }>(
      '/admin/invocations?observer=gadget_hook&status=4xx&since=1h',
    );
    expect(byStatus.items.map((row) => row.eventId)).toContain(eventId);
    expect(byStatus.items.every((row) => row.httpStatus === 400)).toBe(true);
    const [, none] = await admin<{ items: InvocationJson[] }>('/admin/invocations?observer=nobody');
    expect(none.items).toEqual([]);
    expect((await admin('/admin/invocations?status=sometimes'))[0]).toBe(400);
    expect((await admin('/admin/invocations?since=yesterday-ish'))[0]).toBe(400);
    expect((await admin('/admin/invocations', 'GET', READ_ONLY))[0]).toBe(200);
  });

  it('explains which observers an event matched and why, with its invocations', async () => {
    const small = await insertGadget(1);
    const [status, body] = await admin<{
      observers: { observer: string; matched: boolean; condition?: { result: boolean } }[];
      invocations: unknown[];
    }>(`/admin/events/${small}`);
    expect(status).toBe(200);
    expect(body.observers.map((o) => [o.observer, o.matched, o.condition?.result])).toEqual([
      ['gadget_hook', false, false],
    ]);
    expect(body.invocations).toEqual([]);
    expect((await admin(`/admin/events/${randomUUID()}`))[0]).toBe(404);
  });
});
