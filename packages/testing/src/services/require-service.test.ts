import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isTestingError } from '../errors.js';
import { freePort } from './free-port.js';
import { requireService } from './require-service.js';

const saved = { ...process.env };

afterEach(() => {
  for (const key of ['CI', 'REDIS_URL', 'CLICKHOUSE_URL', 'NATS_URL']) {
    if (saved[key] === undefined) Reflect.deleteProperty(process.env, key);
    else process.env[key] = saved[key];
  }
  vi.restoreAllMocks();
});

/** An HTTP server that answers `GET /ping` like ClickHouse does. */
async function pingServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    res.end(req.url === '/ping' ? 'Ok.\n' : 'no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { url: `http://127.0.0.1:${address.port}`, server };
}

describe('requireService', () => {
  it('uses the env URL first when it answers', async () => {
    const { url, server } = await pingServer();
    try {
      process.env.CLICKHOUSE_URL = url;
      await expect(requireService('clickhouse')).resolves.toEqual({
        kind: 'clickhouse',
        url,
        origin: 'env',
      });
    } finally {
      server.close();
    }
  });

  it('outside CI returns undefined and prints one loud line when the env URL does not answer', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    Reflect.deleteProperty(process.env, 'CI');
    process.env.REDIS_URL = `redis://127.0.0.1:${await freePort()}`;

    await expect(requireService('redis')).resolves.toBeUndefined();
    await expect(requireService('redis')).resolves.toBeUndefined();

    const lines = write.mock.calls.map(([chunk]) => String(chunk));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/REDIS UNAVAILABLE/);
    expect(lines[0]).toContain(process.env.REDIS_URL);
    expect(lines[0]).toContain('redis-server');
  });

  it.each(['true', '1'])('with CI=%s throws when the service does not answer', async (ci) => {
    process.env.CI = ci;
    process.env.NATS_URL = `nats://127.0.0.1:${await freePort()}`;
    const error: unknown = await requireService('nats').catch((e: unknown) => e);
    expect(isTestingError(error) && error.code).toBe('SERVICE_UNAVAILABLE');
    expect((error as Error).message).toMatch(/nats is required in CI/);
  });

  it('hides the password of an env URL that does not answer', async () => {
    process.env.CI = 'true';
    process.env.REDIS_URL = `redis://:s3cret@127.0.0.1:${await freePort()}`;
    const error = (await requireService('redis').catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('***');
    expect(error.message).not.toContain('s3cret');
  });
});
