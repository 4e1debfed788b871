import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { createActionRegistry, type AnyActionConfig } from '@fraiseql/observers';
import { requireService, spawnNode, uniqueName, waitFor } from '@fraiseql/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createJobQueue, createJobWorker, jobIdOf } from '../src/index.js';
import { testEvent } from './fixture.js';

const redis = await requireService('redis');
const workerScript = fileURLToPath(new URL('./fixtures/webhook-worker.mjs', import.meta.url));
const SECRET = `whsec_${Buffer.from('job-queue-crash-test-secret-0123').toString('base64')}`;

/** A webhook receiver that applies each `webhook-id` once, whatever the number of deliveries. */
function idempotentReceiver() {
  const deliveries: string[] = [];
  const applied = new Map<string, number>();
  const held: ServerResponse[] = [];
  let holdFirst = true;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      deliveries.push(id);
      if (holdFirst) {
        // The first delivery never gets an answer: its worker dies mid-request.
        holdFirst = false;
        held.push(res);
        return;
      }
      applied.set(id, (applied.get(id) ?? 0) + 1);
      res.writeHead(204).end();
    });
  });
  return { server, deliveries, applied };
}

describe.skipIf(redis === undefined)('crash recovery', () => {
  const prefix = uniqueName('jqc');
  const queueName = 'crash';
  const receiver = idempotentReceiver();
  const queue = createJobQueue({ redisUrl: redis?.url ?? '', prefix });

  afterAll(async () => {
    await queue.bullQueue(queueName).obliterate({ force: true });
    await queue.close();
    receiver.server.closeAllConnections();
    await new Promise((resolve) => receiver.server.close(resolve));
  });

  it('a job whose worker process is killed -9 mid-job completes on another worker, applied once', async () => {
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.server.address() as AddressInfo;
    const receiverUrl = `http://127.0.0.1:${String(port)}/hook`;
    const timing = { LOCK_MS: '1000', STALLED_MS: '500' };
    const child = spawnNode(workerScript, {
      env: {
        REDIS_URL: redis?.url,
        PREFIX: prefix,
        QUEUE: queueName,
        RECEIVER_URL: receiverUrl,
        WEBHOOK_SECRET: SECRET,
        ...timing,
      },
    });
    try {
      await child.waitForLine(/ready/);
      const event = testEvent();
      const { jobId } = await queue.enqueue({
        event,
        observer: 'hooks',
        actionIndex: 0,
        actionType: 'webhook',
        queue: queueName,
      });
      expect(jobId).toBe(jobIdOf(event.id, 'hooks', 0));
      await waitFor(() => receiver.deliveries.length === 1, { message: 'first delivery' });
      const exit = await child.kill('SIGKILL');
      expect(exit.signal).toBe('SIGKILL');

      // Another worker, with the same config, picks the stalled job up once its lock expires.
      const registry = createActionRegistry();
      const webhook: AnyActionConfig = {
        type: 'webhook',
        url: receiverUrl,
        method: 'POST',
        headers: {},
        timeout: 60_000,
        allowHosts: ['127.0.0.1'],
        signing: { secrets: [SECRET] },
      };
      const rescuer = createJobWorker({
        redisUrl: redis?.url ?? '',
        prefix,
        queue: queueName,
        registry,
        observers: { get: (name) => (name === 'hooks' ? { name, actions: [webhook] } : undefined) },
        lockDuration: 1000,
        stalledInterval: 500,
        metricsInterval: false,
      });
      await rescuer.start();
      try {
        await waitFor(
          async () => (await queue.bullQueue(queueName).getJobState(jobId)) === 'completed',
          { timeoutMs: 20_000, message: 'job completed on the second worker' },
        );
      } finally {
        await rescuer.close();
        await registry.close();
      }
      const [firstId] = receiver.deliveries;
      expect(receiver.deliveries.length).toBeGreaterThanOrEqual(2);
      expect(new Set(receiver.deliveries)).toEqual(new Set([firstId]));
      expect([...receiver.applied]).toEqual([[firstId, 1]]);
    } finally {
      await child.close();
    }
  });
});
