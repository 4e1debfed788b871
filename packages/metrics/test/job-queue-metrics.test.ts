// The job-queue metrics moved by the real job queue and worker (BullMQ on Redis).
import { randomUUID } from 'node:crypto';
import { createJobQueue, createJobWorker } from '@fraiseql/job-queue';
import { createActionRegistry } from '@fraiseql/observers';
import { requireService, uniqueName, waitFor } from '@fraiseql/testing';
import { describe, expect, it } from 'vitest';
import { createJobQueueMetrics, createMetricsRegistry } from '../src/index.js';
import { readMetric } from './fixtures/read-metric.js';

const redis = await requireService('redis');

describe.skipIf(redis === undefined)(
  'job-queue metrics from a real queue and worker (Redis)',
  () => {
    it('counts queued, executed, failed and retried jobs and reports the queue depth', async () => {
      const registry = createMetricsRegistry();
      const metrics = createJobQueueMetrics(registry);
      const prefix = uniqueName('jqm');
      const actions = createActionRegistry();
      let calls = 0;
      actions.registerFunction('flaky', () => {
        calls += 1;
        if (calls === 1) throw new Error('first attempt fails');
      });
      const queue = createJobQueue({ redisUrl: redis?.url ?? '', prefix, metrics });
      const worker = createJobWorker({
        redisUrl: redis?.url ?? '',
        prefix,
        queue: 'm',
        registry: actions,
        observers: {
          get: (name) =>
            name === 'flaky'
              ? {
                  name,
                  actions: [{ type: 'function', name: 'flaky' }],
                  retry: { strategy: 'fixed', maxAttempts: 3, initialDelay: 10 },
                }
              : undefined,
        },
        metrics,
        metricsInterval: 50,
      });
      try {
        await worker.start();
        await queue.enqueue({
          event: {
            id: randomUUID(),
            seq: 1n,
            eventType: 'INSERT',
            entityType: 'Order',
            entityId: '1',
            data: {},
            timestamp: new Date(),
          },
          observer: 'flaky',
          actionIndex: 0,
          actionType: 'function',
          queue: 'm',
        });
        const labels = { queue: 'm', action_type: 'function' };
        await waitFor(
          async () =>
            (await readMetric(registry, 'fraiseql_observer_job_executed_total', labels)) === 1,
          { timeoutMs: 20_000, message: 'the job ran to success on its second attempt' },
        );
        expect(await readMetric(registry, 'fraiseql_observer_job_queued_total', labels)).toBe(1);
        expect(
          await readMetric(registry, 'fraiseql_observer_job_retry_attempts_total', labels),
        ).toBe(1);
        const failed = (await registry.getMetricsAsJSON())
          .find((family) => family.name === 'fraiseql_observer_job_failed_total')
          ?.values.reduce((sum, sample) => sum + sample.value, 0);
        expect(failed).toBe(1);
        expect(
          await readMetric(registry, 'fraiseql_observer_job_duration_seconds_count', labels),
        ).toBe(2);
        await waitFor(
          async () =>
            (await registry.getMetricsAsJSON())
              .find((family) => family.name === 'fraiseql_observer_job_queue_depth')
              ?.values.some((sample) => sample.labels.state === 'waiting') === true,
          { timeoutMs: 10_000, message: 'the worker reported the queue depth' },
        );
        expect(
          await readMetric(registry, 'fraiseql_observer_job_queue_depth', {
            queue: 'm',
            state: 'waiting',
          }),
        ).toBe(0);
        // The worker's and the producer's Redis connection, through the same seam.
        expect(
          await readMetric(registry, 'fraiseql_service_up', { service: 'redis', kind: 'redis' }),
        ).toBe(1);
      } finally {
        await worker.close();
        await queue.bullQueue('m').obliterate({ force: true });
        await queue.close();
        await actions.close();
      }
    });
  },
);
