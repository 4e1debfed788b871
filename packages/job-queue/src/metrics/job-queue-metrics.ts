import type { ServiceHealth } from '@fraiseql/core';

/** Job states counted in the queue depth. */
export type JobQueueDepthState = 'waiting' | 'delayed' | 'active';

/**
 * What the job queue reports; `@fraiseql/metrics` implements it structurally with the
 * `fraiseql_observer_job_*` Prometheus metrics. Every method must be cheap and never throw.
 */
export interface JobQueueMetrics {
  /** A job was added to `queue` (`…_job_queued_total`). */
  jobQueued(queue: string, actionType: string): void;
  /** A job attempt succeeded (`…_job_executed_total`, `…_job_duration_seconds`). */
  jobExecuted(queue: string, actionType: string, durationSeconds: number): void;
  /** A job attempt failed (`…_job_failed_total`, `…_job_duration_seconds`). */
  jobFailed(queue: string, actionType: string, errorType: string, durationSeconds: number): void;
  /** A failed job attempt will run again (`…_job_retry_attempts_total`). */
  jobRetried(queue: string, actionType: string): void;
  /** Jobs currently in `queue` in `state` (`…_job_queue_depth`). */
  queueDepth(queue: string, state: JobQueueDepthState, count: number): void;
  /** Jobs currently in the dead-letter queue of `queue` (`…_job_dlq_items`). */
  dlqItems(queue: string, count: number): void;
  /**
   * The Redis connection of a queue or worker changed state (`fraiseql_service_*`); optional,
   * so older implementations keep working.
   */
  serviceState?(health: ServiceHealth): void;
}

const noop = (): void => undefined;

/** The default {@link JobQueueMetrics}: records nothing. */
export const noopJobQueueMetrics: JobQueueMetrics = Object.freeze({
  jobQueued: noop,
  jobExecuted: noop,
  jobFailed: noop,
  jobRetried: noop,
  queueDepth: noop,
  dlqItems: noop,
  serviceState: noop,
});
