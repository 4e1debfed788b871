import { FraiseQLError, isFraiseQLError, type FraiseQLErrorOptions } from '@fraiseql/core';

/** Every failure `@fraiseql/job-queue` reports, as a closed set. */
export type JobQueueErrorCode =
  | 'INVALID_ARGUMENT'
  | 'REDIS_UNAVAILABLE'
  | 'REDIS_EVICTION_POLICY'
  | 'ENQUEUE_FAILED'
  | 'JOB_NOT_FOUND'
  | 'CLOSED';

/** An error from `@fraiseql/job-queue`. */
export class JobQueueError extends FraiseQLError<JobQueueErrorCode> {
  constructor(code: JobQueueErrorCode, message: string, options: FraiseQLErrorOptions = {}) {
    super(code, message, options);
    this.name = 'JobQueueError';
  }
}

/** True for a {@link JobQueueError} from any installed copy of `@fraiseql/job-queue`. */
export function isJobQueueError(value: unknown, code?: JobQueueErrorCode): value is JobQueueError {
  return isFraiseQLError(value, code) && (value as Error).name === 'JobQueueError';
}

/**
 * Maps a Redis/connection failure to `REDIS_UNAVAILABLE` (the one place wire failures become
 * codes); a `JobQueueError` passes through.
 */
export function redisFailure(error: unknown, doing: string): JobQueueError {
  if (isJobQueueError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new JobQueueError('REDIS_UNAVAILABLE', `${doing}: Redis is unreachable (${message})`, {
    cause: error,
  });
}
