import type { Logger } from '@fraiseql/core';
import { ObserverError, type ActionContext, type ActionResult } from '@fraiseql/observers';
import { isJobQueueError } from '../errors.js';
import type { JobQueue } from '../queue/job-queue.js';

/**
 * What happens to an async action when Redis cannot take its job: run it inline now, or fail
 * it permanently so the observer's failure policy dead-letters it (with the reason) in
 * PostgreSQL. Never a silent drop.
 */
export type QueueUnavailablePolicy = 'inline' | 'dlq';

/** What {@link dispatchJob} needs. */
export interface DispatchDeps {
  readonly queue: JobQueue;
  readonly onUnavailable: QueueUnavailablePolicy;
  readonly logger: Logger;
}

/**
 * Enqueues the job of the action the context points at; on an unreachable Redis applies the
 * policy (`runInline` runs the action in process).
 *
 * @throws {ObserverError} `TRANSPORT_UNAVAILABLE` (permanent, `errorType: 'queue_unavailable'`)
 * under the `dlq` policy, `INVALID_ARGUMENT` (permanent) for a bad queue name.
 */
export async function dispatchJob(
  deps: DispatchDeps,
  actionType: string,
  queueName: string | undefined,
  context: ActionContext,
  runInline: () => Promise<ActionResult>,
): Promise<ActionResult> {
  try {
    const job = await deps.queue.enqueue(
      {
        event: context.event,
        observer: context.observer,
        actionIndex: context.actionIndex,
        actionType,
        queue: queueName,
      },
      { signal: context.signal },
    );
    return { summary: `queued ${job.jobId} on ${job.queue}`, details: { ...job } };
  } catch (error) {
    if (!isJobQueueError(error, 'REDIS_UNAVAILABLE')) {
      if (context.signal.aborted) throw error;
      throw new ObserverError(
        'INVALID_ARGUMENT',
        error instanceof Error ? error.message : String(error),
        {
          cause: error,
          retryable: false,
          errorType: 'config',
        },
      );
    }
    if (deps.onUnavailable === 'inline') {
      deps.logger.warn(
        { observer: context.observer, actionIndex: context.actionIndex, err: error },
        'job queue unavailable; running the action inline',
      );
      return runInline();
    }
    throw new ObserverError(
      'TRANSPORT_UNAVAILABLE',
      `job queue unavailable, action not queued: ${error.message}`,
      {
        cause: error,
        retryable: false,
        errorType: 'queue_unavailable',
      },
    );
  }
}
