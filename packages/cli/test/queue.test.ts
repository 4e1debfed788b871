import { randomUUID } from 'node:crypto';
import type { EntityEvent } from '@fraiseql/core';
import {
  createJobQueue,
  createJobWorker,
  type JobQueue,
  type JobWorker,
} from '@fraiseql/job-queue';
import { createActionRegistry, ObserverError, type ActionRegistry } from '@fraiseql/observers';
import { requireService, uniqueName, waitFor } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const redis = await requireService('redis');

function orderEvent(): EntityEvent {
  return {
    id: randomUUID(),
    seq: 1n,
    eventType: 'INSERT',
    entityType: 'Order',
    entityId: randomUUID(),
    data: { total: 10 },
    timestamp: new Date(),
  };
}

describe.skipIf(redis === undefined)('fraiseql queue against Redis', () => {
  const prefix = uniqueName('clijq');
  const queueName = 'work';
  let registry: ActionRegistry;
  let queue: JobQueue;
  let worker: JobWorker;
  let failing = true;
  const ran: string[] = [];
  const args = (): string[] => [
    '--redis',
    redis?.url ?? '',
    '--prefix',
    prefix,
    '--queue',
    queueName,
  ];
  const job = (event: EntityEvent) => ({
    event,
    observer: 'notify',
    actionIndex: 0,
    actionType: 'function',
    queue: queueName,
  });

  beforeAll(async () => {
    registry = createActionRegistry();
    registry.registerFunction('notify', (event) => {
      ran.push(event.id);
      if (failing) {
        throw new ObserverError('ACTION_FAILED', 'HTTP 400 from the receiver', {
          retryable: false,
          errorType: 'http_4xx',
        });
      }
    });
    queue = createJobQueue({ redisUrl: redis?.url ?? '', prefix });
    worker = createJobWorker({
      redisUrl: redis?.url ?? '',
      prefix,
      queue: queueName,
      registry,
      observers: {
        get: (name) =>
          name === 'notify' ? { name, actions: [{ type: 'function', name: 'notify' }] } : undefined,
      },
      metricsInterval: false,
    });
    await worker.start();
  });

  afterAll(async () => {
    await worker.close();
    await queue.bullQueue(queueName).obliterate({ force: true });
    const store = await queue.deadLetters();
    await store.remove(queueName, await store.idsUpTo(queueName, Date.now(), 1000));
    await queue.close();
    await registry.close();
  });

  it('shows stats and dead letters, replays one back into the queue and purges the rest', async () => {
    const first = orderEvent();
    const { jobId } = await queue.enqueue(job(first));
    await waitFor(
      async () => (await (await queue.deadLetters()).get(queueName, jobId)) !== undefined,
      {
        timeoutMs: 10_000,
        message: 'the job was dead-lettered',
      },
    );

    const stats = await runCli(['queue', 'stats', '--json', ...args()]);
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject([
      { queue: queueName, deadLettered: 1, failed: 1 },
    ]);

    const list = JSON.parse(
      (await runCli(['queue', 'dlq', 'list', '--json', ...args()])).stdout,
    ) as {
      jobId: string;
      reason: string;
    }[];
    expect(list).toMatchObject([{ jobId, reason: 'permanent' }]);
    const shown = await runCli(['queue', 'dlq', 'show', jobId, ...args()]);
    expect(shown.stdout).toContain(first.id);
    expect((await runCli(['queue', 'dlq', 'show', 'no-such-job', ...args()])).code).toBe(1);

    failing = false;
    const replay = await runCli(['queue', 'dlq', 'replay', jobId, ...args()]);
    expect(replay.code).toBe(0);
    await waitFor(
      async () => {
        const current = await queue.bullQueue(queueName).getJob(jobId);
        return current?.returnvalue === undefined || current.returnvalue === null
          ? undefined
          : current;
      },
      { timeoutMs: 10_000, message: 'the replayed job succeeded' },
    );
    expect(ran.filter((id) => id === first.id)).toHaveLength(2);

    failing = true;
    const second = await queue.enqueue(job(orderEvent()));
    await waitFor(
      async () => (await (await queue.deadLetters()).get(queueName, second.jobId)) !== undefined,
      { timeoutMs: 10_000, message: 'the second job was dead-lettered' },
    );
    const purge = await runCli(['queue', 'dlq', 'purge', '--older-than', '0', '--json', ...args()]);
    expect(JSON.parse(purge.stdout)).toEqual({ purged: 1 });
    expect(
      JSON.parse((await runCli(['queue', 'dlq', 'list', '--json', ...args()])).stdout),
    ).toEqual([]);
  });
});
