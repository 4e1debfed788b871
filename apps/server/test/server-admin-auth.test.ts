import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { request as httpRequest } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type FraiseQLServer } from '../src/fraiseql-server.js';
import { loadServerSettings } from '../src/server-settings.js';

const READ_ONLY = 'read-only-token-0123456789abcdef';

let dir: string;
let server: FraiseQLServer;
const lines: { msg: string; actor?: string; role?: string; method?: string; path?: string }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fraiseql-server-auth-'));
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (text !== '') lines.push(JSON.parse(text) as (typeof lines)[number]);
      }
      callback();
    },
  });
  server = await startServer(
    loadServerSettings(
      {
        FRAISEQL_HTTP_PORT: '0',
        FRAISEQL_FLIGHT_PORT: '0',
        FRAISEQL_DEMO: 'false',
        FRAISEQL_DATA_DIR: join(dir, 'data'),
        FRAISEQL_ADMIN_READONLY_TOKEN: READ_ONLY,
      },
      dir,
    ),
    pino({ level: 'info' }, stream),
  );
}, 120_000);
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function call(
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(path, server.httpUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('reference server admin API authentication', () => {
  it('generates an operator token on first start, stored with mode 0600', async () => {
    const generated = server.generatedAdminToken;
    expect(generated?.path).toBe(join(dir, 'data', 'admin-token'));
    expect((await stat(generated?.path ?? '')).mode & 0o777).toBe(0o600);
    expect((await readFile(generated?.path ?? '', 'utf8')).trim()).toBe(generated?.token);
    // The log says where it is, never what it is.
    expect(JSON.stringify(lines)).not.toContain(generated?.token);
  });

  it('refuses every admin route without a valid token', async () => {
    expect((await call('GET', '/admin/observers')).status).toBe(401);
    expect((await call('POST', '/admin/observers/order_shipped_slack/pause')).status).toBe(401);
    expect(
      (await call('GET', '/admin/dlq', { authorization: 'Bearer wrong-token-0123456789' })).status,
    ).toBe(401);
    const operator = { authorization: `Bearer ${server.generatedAdminToken?.token ?? ''}` };
    expect((await call('GET', '/admin/observers', operator)).status).toBe(200);
  });

  it('lets the read-only token read and change nothing; logs who changed what', async () => {
    const reader = { authorization: `Bearer ${READ_ONLY}` };
    expect((await call('GET', '/admin/dlq/stats', reader)).status).toBe(200);
    const refused = await call('POST', '/admin/observers/order_shipped_slack/pause', reader);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatch(/read-only/);
    const operator = { authorization: `Bearer ${server.generatedAdminToken?.token ?? ''}` };
    const paused = await call('POST', '/admin/observers/order_shipped_slack/pause', operator);
    expect(JSON.parse(paused.body)).toEqual({ name: 'order_shipped_slack', state: 'paused' });
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'admin change',
        actor: 'operator',
        role: 'operator',
        method: 'POST',
        path: '/admin/observers/order_shipped_slack/pause',
      }),
    );
  });

  it('lists projections and runs their check for any token, never without one', async () => {
    expect((await call('GET', '/admin/projections')).status).toBe(401);
    expect((await call('POST', '/admin/projections/public.tv_order/check')).status).toBe(401);
    const reader = { authorization: `Bearer ${READ_ONLY}` };
    const list = await call('GET', '/admin/projections', reader);
    expect(list.status).toBe(200);
    // This database has none of @fraiseql/ddl-gen's monitoring functions: nothing, no error.
    expect(JSON.parse(list.body)).toEqual({ installed: false, schemas: [], projections: [] });
    // The check changes nothing, so read-only may run it; an unknown projection is a 404.
    const missing = await call('POST', '/admin/projections/public.tv_order/check', reader);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatch(/no registered projection/);
    expect(
      (
        await call('POST', '/admin/projections/public.tv_order/check', {
          ...reader,
          origin: 'https://evil.example',
        })
      ).status,
    ).toBe(403);
  });

  it('refuses foreign Host names and cross-site changes, and serves no CORS', async () => {
    const operator = { authorization: `Bearer ${server.generatedAdminToken?.token ?? ''}` };
    expect(
      (
        await call('POST', '/admin/observers/order_shipped_slack/resume', {
          ...operator,
          host: 'evil.example',
        })
      ).status,
    ).toBe(421);
    expect((await call('GET', '/health', { host: 'evil.example:8080' })).status).toBe(421);
    expect(
      (
        await call('POST', '/admin/observers/order_shipped_slack/resume', {
          ...operator,
          origin: 'https://evil.example',
        })
      ).status,
    ).toBe(403);
    const preflight = await call('OPTIONS', '/admin/observers/order_shipped_slack/resume', {
      origin: 'https://evil.example',
      'access-control-request-method': 'POST',
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const read = await call('GET', '/admin/observers', {
      ...operator,
      origin: 'https://evil.example',
    });
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('keeps /health and /metrics open by default', async () => {
    expect((await call('GET', '/health')).status).toBe(200);
    expect((await call('GET', '/metrics')).status).toBe(200);
  });

  it('answers 400 to DELETE of a malformed dead-letter id, like GET', async () => {
    const operator = { authorization: `Bearer ${server.generatedAdminToken?.token ?? ''}` };
    expect((await call('GET', '/admin/dlq/not-a-uuid', operator)).status).toBe(400);
    expect((await call('DELETE', '/admin/dlq/not-a-uuid', operator)).status).toBe(400);
  });
});

describe('reference server start-up rules', () => {
  it('refuses to bind beyond loopback without FRAISEQL_ADMIN_TOKEN', async () => {
    await expect(
      startServer(
        loadServerSettings(
          { FRAISEQL_HTTP_HOST: '0.0.0.0', FRAISEQL_HTTP_PORT: '0', FRAISEQL_FLIGHT_PORT: '0' },
          dir,
        ),
        pino({ level: 'silent' }),
      ),
    ).rejects.toThrow(/refusing to listen on 0\.0\.0\.0.*without FRAISEQL_ADMIN_TOKEN/);
  });

  it('protects /health and /metrics when FRAISEQL_OPEN_ROUTES says so', () => {
    expect(loadServerSettings({ FRAISEQL_OPEN_ROUTES: 'none' }, dir).openRoutes.size).toBe(0);
    expect(() => loadServerSettings({ FRAISEQL_OPEN_ROUTES: 'admin' }, dir)).toThrow(
      /FRAISEQL_OPEN_ROUTES/,
    );
    expect(() => loadServerSettings({ FRAISEQL_ADMIN_TOKEN: 'short-secret' }, dir)).toThrow(
      /FRAISEQL_ADMIN_TOKEN: .*\(got <redacted>\)/,
    );
  });
});
