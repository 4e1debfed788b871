import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  createTempDir,
  probeService,
  spawnNode,
  startService,
  waitFor,
  type ServiceKind,
} from '../src/index.js';

/** One real operation against a freshly started server, beyond the readiness probe. */
const useIt: Record<Exclude<ServiceKind, 'clickhouse'>, (url: string) => Promise<unknown>> = {
  async postgres(url) {
    const client = new pg.Client(url);
    await client.connect();
    try {
      await client.query('CREATE TABLE t (id int PRIMARY KEY)');
      await client.query('INSERT INTO t VALUES (1), (2)');
      return (await client.query<{ n: string }>('SELECT count(*) AS n FROM t')).rows[0]?.n;
    } finally {
      await client.end();
    }
  },
  async redis(url) {
    const redis = new Redis(url);
    try {
      await redis.set('k', 'v');
      return await redis.get('k');
    } finally {
      redis.disconnect();
    }
  },
  async nats(url) {
    const nc = await connect({ servers: url });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'S', subjects: ['s.>'] });
      const js = jsm.jetstream();
      await js.publish('s.a', 'x');
      return (await jsm.streams.info('S')).state.messages;
    } finally {
      await nc.close();
    }
  },
};
const expected = { postgres: '2', redis: 'v', nats: 1 };

describe('startService', () => {
  it.each(['redis', 'nats', 'postgres'] as const)(
    'starts %s from its binary on a free port, serves it, and removes it on close',
    async (kind) => {
      const service = await startService(kind);
      try {
        expect(service.url).toMatch(/127\.0\.0\.1:\d+/);
        expect(service.url).not.toMatch(/:(5432|6379|4222)\b/);
        await expect(useIt[kind](service.url)).resolves.toEqual(expected[kind]);
      } finally {
        await service.close();
      }
      expect(existsSync(service.dir)).toBe(false);
      await expect(probeService(kind, service.url, { timeoutMs: 500 })).resolves.toEqual(
        expect.any(String),
      );
    },
  );

  it('restarts PostgreSQL after a crash (SIGKILL) on the same port with its data', async () => {
    await using service = await startService('postgres');
    await expect(useIt.postgres(service.url)).resolves.toBe('2');

    await service.stop('SIGKILL');
    await expect(probeService('postgres', service.url, { timeoutMs: 500 })).resolves.toEqual(
      expect.any(String),
    );
    await service.start();

    const client = new pg.Client(service.url);
    await client.connect();
    try {
      const rows = await client.query<{ n: string }>('SELECT count(*) AS n FROM t');
      expect(rows.rows[0]?.n).toBe('2');
    } finally {
      await client.end();
    }
  });

  it('restarts NATS with its JetStream store after a clean stop', async () => {
    await using service = await startService('nats');
    await expect(useIt.nats(service.url)).resolves.toBe(1);
    await service.stop();
    await service.start();
    const nc = await connect({ servers: service.url });
    try {
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info('S')).state.messages).toBe(1);
    } finally {
      await nc.close();
    }
  });

  it('stops the server and removes its dir when the process that started it is killed', async () => {
    await using dir = await createTempDir();
    const script = join(dir.path, 'start-redis.mjs');
    const kit = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    await writeFile(
      script,
      `import { startService } from ${JSON.stringify(kit)};
const service = await startService('redis');
console.log(JSON.stringify({ url: service.url, dir: service.dir }));
setInterval(() => {}, 1000);
`,
    );
    const owner = spawnNode(script);
    const [line] = await owner.waitForLine(/^\{.*\}$/);
    const started = JSON.parse(line) as { url: string; dir: string };
    await expect(probeService('redis', started.url)).resolves.toBeUndefined();

    await owner.kill('SIGKILL');

    await waitFor(
      async () =>
        !existsSync(started.dir) &&
        (await probeService('redis', started.url, { timeoutMs: 500 })) !== undefined,
      { timeoutMs: 20_000, message: `redis at ${started.url} gone after its owner died` },
    );
  });
});
