/** Name of the custom backoff strategy workers register; the processor computes each delay. */
export const BACKOFF_TYPE = 'fraiseql';

/**
 * BullMQ's own attempt cap on every job. The worker's `RetryPolicy` decides when to stop and
 * dead-letters the job itself, so BullMQ must never give up first.
 */
export const UNBOUNDED_ATTEMPTS = 1_000_000;

/** Property of a retryable failure that carries the delay the retry policy chose. */
export const RETRY_DELAY = Symbol.for('@fraiseql/job-queue/retry-delay');
