import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpPool } from './http-pool.js';

describe('createHttpPool (local node:http receiver)', () => {
  let server: Server;
  let port = 0;
  let connections = 0;
  const seen: {
    method: string | undefined;
    url: string | undefined;
    host: string | undefined;
    body: string;
  }[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          host: req.headers.host,
          body: Buffer.concat(chunks).toString(),
        });
        res.writeHead(req.url === '/fail' ? 503 : 200, { 'content-type': 'text/plain' });
        res.end('x'.repeat(req.url === '/big' ? 100_000 : 2));
      });
    });
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const send = (
    pool: ReturnType<typeof createHttpPool>,
    url: string,
    allowHosts?: string[],
    path = '/',
  ) =>
    pool.request({
      url: new URL(path, url),
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hi',
      signal: AbortSignal.timeout(5_000),
      allowHosts,
    });

  it('refuses loopback by IP and by a name that resolves to it, before any connection', async () => {
    await using pool = createHttpPool();
    const before = connections;
    await expect(send(pool, `http://127.0.0.1:${port}`)).rejects.toMatchObject({
      code: 'SSRF_BLOCKED',
    });
    await expect(send(pool, `http://localhost:${port}`)).rejects.toMatchObject({
      code: 'SSRF_BLOCKED',
    });
    await expect(send(pool, `http://[::ffff:127.0.0.1]:${port}`)).rejects.toMatchObject({
      code: 'SSRF_BLOCKED',
    });
    await expect(send(pool, `http://0x7f.1:${port}`)).rejects.toMatchObject({
      code: 'SSRF_BLOCKED',
    });
    await expect(send(pool, `http://169.254.169.254`)).rejects.toMatchObject({
      code: 'SSRF_BLOCKED',
    });
    expect(connections).toBe(before);
  });

  it('sends through the allowlist and keeps the connection alive across requests', async () => {
    await using pool = createHttpPool();
    const before = connections;
    for (let i = 0; i < 10; i += 1) {
      const response = await send(pool, `http://127.0.0.1:${port}`, ['127.0.0.1']);
      expect(response).toMatchObject({ status: 200, body: 'xx' });
    }
    // Sequential requests reuse pooled connections (undici may open a second one while the
    // first is being released), instead of one connection per request.
    expect(connections - before).toBeLessThanOrEqual(2);
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/', body: 'hi' });
  });

  it('does not reuse an allow-listed connection for a request without the allowlist', async () => {
    await using pool = createHttpPool();
    await send(pool, `http://127.0.0.1:${port}`, ['127.0.0.1']);
    await expect(send(pool, `http://127.0.0.1:${port}`)).rejects.toMatchObject({
      code: 'SSRF_BLOCKED',
    });
  });

  it('resolves once and connects to exactly the checked address', async () => {
    let calls = 0;
    // A rebinding resolver: the first answer is the allow-listed loopback, later ones private.
    const resolve = (): Promise<{ address: string; family: number }[]> => {
      calls += 1;
      return Promise.resolve([{ address: calls === 1 ? '127.0.0.1' : '10.0.0.1', family: 4 }]);
    };
    await using pool = createHttpPool({ resolve });
    const response = await send(pool, `http://hooks.test:${port}`, ['127.0.0.1']);
    expect(response.status).toBe(200);
    expect(calls).toBe(1);
    expect(seen.at(-1)?.host).toBe(`hooks.test:${port}`);
  });

  it('returns non-2xx responses and caps the body it keeps', async () => {
    await using pool = createHttpPool();
    expect((await send(pool, `http://127.0.0.1:${port}`, ['127.0.0.1'], '/fail')).status).toBe(503);
    const big = await pool.request({
      url: new URL(`http://127.0.0.1:${port}/big`),
      method: 'GET',
      headers: {},
      signal: AbortSignal.timeout(5_000),
      allowHosts: ['127.0.0.1'],
      maxResponseBytes: 10,
    });
    expect(big.body).toBe('x'.repeat(10));
  });

  it('fails requests after close', async () => {
    const pool = createHttpPool();
    await pool.close();
    await expect(send(pool, `http://127.0.0.1:${port}`, ['127.0.0.1'])).rejects.toMatchObject({
      code: 'CLOSED',
    });
  });
});
