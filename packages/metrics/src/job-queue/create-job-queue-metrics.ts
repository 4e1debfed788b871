import type { ServiceHealth } from '@fraiseql/core';
import type { Registry } from 'prom-client';
import { LabelLimiter } from '../registry/label-limiter.js';
import { createServiceMetrics } from '../services/create-service-metrics.js';
import { jobQueueMetricSet } from './job-queue-metric-set.js';

/** Job states counted in the queue depth. */
export type JobQueueDepthState = 'waiting' | 'delayed' | 'active';

/**
 * What the job queue reports, declared here so this package does not depend on it: the
 * job-queue package's metrics seam has this shape.
 */
export interface JobQueueMetricsReporter {
  /** A job was added to `queue`. */
  jobQueued(queue: string, actionType: string): void;
  /** A job attempt succeeded. */
  jobExecuted(queue: string, actionType: string, durationSeconds: number): void;
  /** A job attempt failed. */
  jobFailed(queue: string, actionType: string, errorType: string, durationSeconds: number): void;
  /** A failed job attempt will run again. */
  jobRetried(queue: string, actionType: string): void;
  /** Jobs currently in `queue` in `state`. */
  queueDepth(queue: string, state: JobQueueDepthState, count: number): void;
  /** Jobs currently in the dead-letter queue of `queue`. */
  dlqItems(queue: string, count: number): void;
  /** The Redis connection of a queue or worker changed state (`fraiseql_service_*`). */
  serviceState(health: ServiceHealth): void;
}

/** Options of {@link createJobQueueMetrics}. */
export interface JobQueueMetricsOptions {
  /** Most distinct values kept per label; later new values are reported as `other`. @defaultValue `100` */
  readonly maxLabelValues?: number | undefined;
}

/** Implements the job-queue metrics seam on `registry` (the `fraiseql_observer_job_*` metrics). */
export function createJobQueueMetrics(
  registry: Registry,
  options: JobQueueMetricsOptions = {},
): JobQueueMetricsReporter {
  const m = jobQueueMetricSet(registry);
  const max = options.maxLabelValues ?? 100;
  const queues = new LabelLimiter(max);
  const actionTypes = new LabelLimiter(max);
  const errorTypes = new LabelLimiter(max);
  const services = createServiceMetrics(registry, { maxLabelValues: max });
  return {
    jobQueued(queue, actionType) {
      m.queued.inc({ queue: queues.value(queue), action_type: actionTypes.value(actionType) });
    },
    jobExecuted(queue, actionType, durationSeconds) {
      const labels = { queue: queues.value(queue), action_type: actionTypes.value(actionType) };
      m.executed.inc(labels);
      m.duration.observe(labels, durationSeconds);
    },
    jobFailed(queue, actionType, errorType, durationSeconds) {
      const labels = { queue: queues.value(queue), action_type: actionTypes.value(actionType) };
      m.failed.inc({ ...labels, error_type: errorTypes.value(errorType) });
      m.duration.observe(labels, durationSeconds);
    },
    jobRetried(queue, actionType) {
      m.retryAttempts.inc({
        queue: queues.value(queue),
        action_type: actionTypes.value(actionType),
      });
    },
    queueDepth(queue, state, count) {
      m.queueDepth.set({ queue: queues.value(queue), state }, count);
    },
    dlqItems(queue, count) {
      m.dlqItems.set({ queue: queues.value(queue) }, count);
    },
    serviceState(health) {
      services.serviceState(health);
    },
  };
}
