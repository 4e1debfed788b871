import { fileURLToPath } from 'node:url';
import { spawnNode, startService, type SpawnedNode, type StartedService } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/redis-loss-worker.mjs', import.meta.url));

/** Index of the next line `child` prints. */
const mark = (child: SpawnedNode): number => child.lines.length;

describe('Redis lost at start and mid-run, in a worker process', () => {
  let redis: StartedService;

  beforeAll(async () => {
    redis = await startService('redis');
  });

  afterAll(async () => {
    await redis.close();
  });

  it('a worker started while Redis is down fails its start, stays alive, and runs jobs once Redis is up', async () => {
    await redis.stop();
    const child = spawnNode(fixture, { env: { REDIS_URL: redis.url } });
    try {
      await child.waitForLine(/^start-failed REDIS_UNAVAILABLE$/);
      // The failed worker was closed; the process must outlive it (BullMQ emitted a late
      // 'error' on a listener-less connection here and killed the process).
      const after = mark(child);
      await child.waitForLine(/^start-failed REDIS_UNAVAILABLE$/, { after });
      expect(child.child.exitCode).toBeNull();
      await redis.start();
      await child.waitForLine(/^ready$/);
      await child.waitForLine(/^done job-1$/);
      expect(child.lines).toContain('health worker up');
      expect(child.child.exitCode).toBeNull();
    } finally {
      await child.close();
    }
  });

  it('Redis lost mid-run: health goes reconnecting, the process lives, jobs run again once it is back', async () => {
    const child = spawnNode(fixture, { env: { REDIS_URL: redis.url } });
    try {
      await child.waitForLine(/^ready$/);
      await child.waitForLine(/^done job-1$/);
      const before = mark(child);
      await redis.stop('SIGKILL');
      await child.waitForLine(/^health worker reconnecting$/, { after: before });
      await child.waitForLine(/^health queue reconnecting$/, { after: before });
      expect(child.child.exitCode).toBeNull();
      await redis.start();
      await child.waitForLine(/^health worker up$/, { after: before });
      // A job enqueued by this process after the loss runs on this process's worker.
      await child.waitForLine(/^done job-2$/, { after: before, timeoutMs: 60_000 });
      expect(child.child.exitCode).toBeNull();
    } finally {
      await child.close();
    }
  });

  it('close() resolves while Redis is away, and the process then exits on its own, cleanly', async () => {
    const child = spawnNode(fixture, { env: { REDIS_URL: redis.url, CLOSE_WHEN_LOST: '1' } });
    try {
      await child.waitForLine(/^done job-1$/);
      await redis.stop('SIGKILL');
      // BullMQ's own close() waits for Redis forever; the worker drops its connections instead,
      // and stops the timers BullMQ would have stopped (they kept the process alive).
      await child.waitForLine(/^closed$/);
      const exit = await Promise.race([
        child.exited,
        new Promise<'alive'>((resolve) => setTimeout(resolve, 15_000, 'alive').unref()),
      ]);
      expect(exit).toEqual({ code: 0, signal: null });
    } finally {
      await child.close();
      await redis.start();
    }
  });
});
