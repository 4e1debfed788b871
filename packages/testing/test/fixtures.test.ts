import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createRedisPrefix,
  createTempDir,
  createTestDatabase,
  createTestPGlite,
  createTestStream,
  requireService,
} from '../src/index.js';

const postgres = await requireService('postgres');
const redisService = await requireService('redis');
const nats = await requireService('nats');

describe.skipIf(postgres === undefined)('createTestDatabase', () => {
  const admin = new pg.Client(postgres?.url);
  afterAll(() => admin.end());

  it('creates an empty database of its own and drops it, even with sessions open', async () => {
    await admin.connect();
    const db = await createTestDatabase(postgres);
    expect(db.name).toMatch(/^fraiseql_test_/);
    const session = new pg.Client(db.url);
    session.on('error', () => undefined);
    await session.connect();
    const current = await session.query<{ db: string }>('SELECT current_database() AS db');
    expect(current.rows[0]?.db).toBe(db.name);

    await db.close(); // the session is still open: WITH (FORCE) ends it
    await db.close();
    const left = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db.name]);
    expect(left.rowCount).toBe(0);
    await session.end().catch(() => undefined);
  });
});

describe.skipIf(redisService === undefined)('createRedisPrefix', () => {
  it('cleans up its own keys and nobody else’s', async () => {
    const redis = new Redis(redisService!.url);
    try {
      const mine = await createRedisPrefix(redisService);
      const other = await createRedisPrefix(redisService);
      expect(mine.prefix).not.toBe(other.prefix);
      for (let i = 0; i < 1200; i++) await redis.set(`${mine.prefix}k${i}`, '1');
      await redis.set(`${other.prefix}k`, '1');

      await mine.close();
      expect(await redis.keys(`${mine.prefix}*`)).toEqual([]);
      expect(await redis.get(`${other.prefix}k`)).toBe('1');
      await expect(other.cleanup()).resolves.toBe(1);
      await other.close();
    } finally {
      redis.disconnect();
    }
  });
});

describe.skipIf(nats === undefined)('createTestStream', () => {
  it('deletes the stream the test created', async () => {
    const nc = await connect({ servers: nats!.url });
    try {
      const jsm = await jetstreamManager(nc);
      const stream = await createTestStream(nats);
      await jsm.streams.add({ name: stream.name, subjects: [`${stream.subjectPrefix}.>`] });
      await jsm.jetstream().publish(`${stream.subjectPrefix}.order.INSERT`, 'x');
      expect((await jsm.streams.info(stream.name)).state.messages).toBe(1);

      await stream.close();
      const names: string[] = [];
      for await (const name of jsm.streams.names()) names.push(name);
      expect(names).not.toContain(stream.name);
    } finally {
      await nc.close();
    }
  });
});

// PGlite boots a WebAssembly PostgreSQL per open: slow on a loaded 2-core machine.
describe('createTestPGlite', { timeout: 180_000 }, () => {
  it('keeps data across a reopen of the same data dir', async () => {
    await using dir = await createTempDir();
    {
      await using first = await createTestPGlite({ dataDir: dir.path });
      expect(first.dataDir).toBe(dir.path);
      await first.db.exec('CREATE TABLE t (id int); INSERT INTO t VALUES (42);');
    }
    await using second = await createTestPGlite({ dataDir: dir.path });
    const result = await second.db.query<{ id: number }>('SELECT id FROM t');
    expect(result.rows).toEqual([{ id: 42 }]);
  });

  it('runs in memory by default', async () => {
    await using memory = await createTestPGlite();
    expect(memory.dataDir).toBeUndefined();
    const result = await memory.db.query<{ one: number }>('SELECT 1 AS one');
    expect(result.rows[0]?.one).toBe(1);
  });
});
