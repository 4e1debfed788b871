import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { createActionRegistry } from '@fraiseql/observers';
import { createTempDir, freePort, requireService, waitFor, type TempDir } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobQueue, createJobWorker } from '../src/index.js';
import { observerSet, testEvent } from './fixture.js';

const shared = await requireService('redis');

/** A redis-server of this test only (AOF on), so it can be restarted. */
async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--dir',
      dir,
    ],
    { stdio: 'ignore' },
  );
  const probe = new Redis({
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await waitFor(
      async () => {
        if (probe.status !== 'ready') await probe.connect().catch(() => undefined);
        await probe.ping();
        return true;
      },
      { timeoutMs: 10_000, message: `redis-server on port ${String(port)}` },
    );
  } finally {
    probe.disconnect();
  }
  return child;
}

// Needs the redis-server binary, which is present wherever the shared Redis runs.
describe.skipIf(shared === undefined)('Redis restart mid-run', () => {
  let dir: TempDir;
  let port: number;
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    dir = await createTempDir('jq-redis');
    port = await freePort();
    server = await startRedis(port, dir.path);
  });

  afterAll(async () => {
    if (server?.exitCode === null) {
      server.kill('SIGKILL');
      await once(server, 'exit');
    }
    await dir.close();
  });

  it('loses no job when Redis restarts while workers run', async () => {
    const url = `redis://127.0.0.1:${String(port)}`;
    const done = new Set<string>();
    let runs = 0;
    const registry = createActionRegistry();
    registry.registerFunction('work', async (event) => {
      runs += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      done.add(event.id);
    });
    const observers = observerSet({ w: { actions: [{ type: 'function', name: 'work' }] } });
    const queue = createJobQueue({ redisUrl: url, prefix: 'restart' });
    const worker = createJobWorker({
      redisUrl: url,
      prefix: 'restart',
      registry,
      observers,
      concurrency: 4,
      lockDuration: 2000,
      stalledInterval: 1000,
      metricsInterval: false,
    });
    const before = Array.from({ length: 200 }, (_, i) => testEvent(String(i)));
    const after = Array.from({ length: 50 }, (_, i) => testEvent(String(200 + i)));
    try {
      await queue.enqueueMany(
        before.map((event) => ({ event, observer: 'w', actionIndex: 0, actionType: 'function' })),
      );
      await worker.start();
      await waitFor(() => done.size >= 20, { timeoutMs: 10_000, message: 'some jobs done' });

      // Graceful restart: SHUTDOWN flushes the append-only file, then the same server comes back.
      const running = server!;
      const exited = once(running, 'exit');
      running.kill('SIGTERM');
      await exited;
      expect(done.size).toBeLessThan(before.length);
      server = await startRedis(port, dir.path);

      await waitFor(
        async () => {
          await queue.enqueueMany(
            after.map((event) => ({
              event,
              observer: 'w',
              actionIndex: 0,
              actionType: 'function',
            })),
          );
          return true;
        },
        { timeoutMs: 15_000, message: 'enqueue after restart' },
      );
      const all = [...before, ...after];
      await waitFor(() => all.every((event) => done.has(event.id)), {
        timeoutMs: 30_000,
        intervalMs: 100,
        message: 'every job done',
      });
      expect(done.size).toBe(all.length);
      // At least once: a job running when Redis went away may have run again.
      expect(runs).toBeGreaterThanOrEqual(all.length);
    } finally {
      await worker.close();
      await queue.close();
      await registry.close();
    }
  });
});
