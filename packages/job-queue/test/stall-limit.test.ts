import { fileURLToPath } from 'node:url';
import { createActionRegistry } from '@fraiseql/observers';
import { requireService, spawnNode, uniqueName, waitFor } from '@fraiseql/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createJobQueue, createJobWorker } from '../src/index.js';
import { testEvent } from './fixture.js';

const redis = await requireService('redis');
const hangingWorker = fileURLToPath(new URL('./fixtures/hanging-worker.mjs', import.meta.url));

describe.skipIf(redis === undefined)('jobs whose workers die', () => {
  const prefix = uniqueName('jqs');
  const queueName = 'stall';
  const url = redis?.url ?? '';
  const queue = createJobQueue({ redisUrl: url, prefix });
  const timing = { LOCK_MS: '1000', STALLED_MS: '300' };
  const env = { REDIS_URL: url, PREFIX: prefix, QUEUE: queueName, ...timing };

  afterAll(async () => {
    await queue.bullQueue(queueName).obliterate({ force: true });
    await queue.close();
  });

  /** Starts a worker process, waits until it runs `entityId`, then kills it -9. */
  async function dieWith(entityId: string): Promise<void> {
    const child = spawnNode(hangingWorker, { env });
    try {
      await child.waitForLine(new RegExp(`^running ${entityId}$`));
      expect((await child.kill('SIGKILL')).signal).toBe('SIGKILL');
    } finally {
      await child.close();
    }
  }

  it('a job whose worker is killed -9 twice lands in the dead-letter queue as stalled (maxStalledCount 1)', async () => {
    const event = testEvent('twice');
    const { jobId } = await queue.enqueue({
      event,
      observer: 'h',
      actionIndex: 0,
      actionType: 'function',
      queue: queueName,
    });
    await dieWith('twice');
    // The second worker recovers the stalled job (first stall is allowed), and dies with it.
    await dieWith('twice');

    // A third worker finds the job stalled a second time: over the limit, so dead-lettered.
    const registry = createActionRegistry();
    let ran = 0;
    registry.registerFunction('hang', () => {
      ran += 1;
    });
    const third = createJobWorker({
      redisUrl: url,
      prefix,
      queue: queueName,
      registry,
      observers: {
        get: (name) =>
          name === 'h' ? { name, actions: [{ type: 'function', name: 'hang' }] } : undefined,
      },
      lockDuration: 1000,
      stalledInterval: 300,
      metricsInterval: false,
    });
    await third.start();
    try {
      const dlq = await queue.deadLetters();
      const dead = await waitFor(async () => dlq.get(queueName, jobId), {
        timeoutMs: 20_000,
        message: 'the twice-stalled job in the dead-letter queue',
      });
      expect(dead).toMatchObject({
        jobId,
        reason: 'stalled',
        error: { errorType: 'stalled', retryable: false },
      });
      expect(dead.error.message).toContain('maxStalledCount 1');
      expect(dead.data.event.id).toBe(event.id);
      // Dead-lettered first, then failed for good in BullMQ (never run again).
      await waitFor(
        async () => (await queue.bullQueue(queueName).getJobState(jobId)) === 'failed',
        { message: 'the job failed for good' },
      );
      expect(ran).toBe(0);
    } finally {
      await third.close();
      await registry.close();
    }
  });
});
