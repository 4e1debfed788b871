import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { registerMetrics } from '../registry/register-metrics.js';

/** Buckets of job durations in seconds: queued actions are the slow ones. */
export const JOB_DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300] as const;

/** The Prometheus collectors behind the job queue. */
export interface JobQueueMetricSet {
  readonly queued: Counter<'queue' | 'action_type'>;
  readonly executed: Counter<'queue' | 'action_type'>;
  readonly failed: Counter<'queue' | 'action_type' | 'error_type'>;
  readonly duration: Histogram<'queue' | 'action_type'>;
  readonly retryAttempts: Counter<'queue' | 'action_type'>;
  readonly queueDepth: Gauge<'queue' | 'state'>;
  readonly dlqItems: Gauge<'queue'>;
}

const P = 'fraiseql_observer_job_';

/** Defines (once per registry) the `fraiseql_observer_job_*` metrics of the job queue. */
export function jobQueueMetricSet(registry: Registry): JobQueueMetricSet {
  return registerMetrics(registry, 'job-queue', (registers) => ({
    queued: new Counter({
      name: `${P}queued_total`,
      help: 'Jobs added to the queue, by queue and action type.',
      labelNames: ['queue', 'action_type'],
      registers,
    }),
    executed: new Counter({
      name: `${P}executed_total`,
      help: 'Jobs that ran to success, by queue and action type.',
      labelNames: ['queue', 'action_type'],
      registers,
    }),
    failed: new Counter({
      name: `${P}failed_total`,
      help: 'Job attempts that failed, by queue, action type and error type.',
      labelNames: ['queue', 'action_type', 'error_type'],
      registers,
    }),
    duration: new Histogram({
      name: `${P}duration_seconds`,
      help: 'Duration of job attempts (successful and failed), by queue and action type.',
      labelNames: ['queue', 'action_type'],
      buckets: [...JOB_DURATION_BUCKETS],
      registers,
    }),
    retryAttempts: new Counter({
      name: `${P}retry_attempts_total`,
      help: 'Failed job attempts scheduled to run again, by queue and action type.',
      labelNames: ['queue', 'action_type'],
      registers,
    }),
    queueDepth: new Gauge({
      name: `${P}queue_depth`,
      help: 'Jobs in the queue by state (waiting, delayed, active).',
      labelNames: ['queue', 'state'],
      registers,
    }),
    dlqItems: new Gauge({
      name: `${P}dlq_items`,
      help: 'Jobs in the dead-letter queue.',
      labelNames: ['queue'],
      registers,
    }),
  }));
}
