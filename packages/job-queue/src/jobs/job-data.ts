import type { EntityEventJson } from '@fraiseql/core';

/** One attempt of a job, as kept in its history and in the dead-letter queue. */
export interface JobAttempt {
  /** 1 for the first attempt (a replay starts again at 1). */
  readonly attempt: number;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly durationMs: number;
  /** Absent for a success. */
  readonly error?: JobAttemptError;
}

/** The failure of one attempt. */
export interface JobAttemptError {
  readonly code: string;
  /** Low-cardinality label (`timeout`, `http_5xx`, `network`, ...). */
  readonly errorType: string;
  readonly message: string;
  readonly retryable: boolean;
}

/**
 * What a job carries: the event, and a reference to the action (observer name and index)
 * that workers resolve in their own observers config, so secrets never sit in Redis.
 */
export interface JobData {
  readonly event: EntityEventJson;
  readonly observer: string;
  readonly actionIndex: number;
  /** Type of the referenced action when enqueued; a worker whose config differs refuses it. */
  readonly actionType: string;
  /** Epoch milliseconds of the first enqueue. */
  readonly enqueuedAt: number;
  /** Failed attempts so far, oldest first. */
  readonly attempts: readonly JobAttempt[];
  /** Times the job came back from the dead-letter queue. @defaultValue `0` */
  readonly replays?: number;
}
