import type { EntityEvent } from '@fraiseql/core';
import type { ActionResult } from '../actions/action-executor.js';

/** One failed attempt of an action, as kept in the dead-letter history. */
export interface DeadLetterAttempt {
  /** 1-based attempt number within the run that recorded it. */
  readonly attempt: number;
  /** ISO-8601 start time. */
  readonly at: string;
  readonly durationMs: number;
  readonly errorCode: string;
  readonly errorType: string;
  readonly error: string;
}

/** What is written when an action is dead-lettered. */
export interface NewDeadLetter {
  readonly event: EntityEvent;
  readonly observer: string;
  readonly actionIndex: number;
  readonly actionType: string;
  readonly errorCode: string;
  readonly errorType: string;
  readonly errorMessage: string;
  readonly attempts: readonly DeadLetterAttempt[];
}

/** An item of the dead-letter queue. */
export interface DeadLetter extends NewDeadLetter {
  /** UUID of the dead-letter row (not the event id). */
  readonly id: string;
  /** Retries attempted from the queue so far. */
  readonly retryCount: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Which items {@link DeadLetterQueue.list}, `retryAll`, `removeAll` and `stats` consider. */
export interface DeadLetterFilter {
  readonly observer?: string;
  readonly entityType?: string;
  /** Items created at or after this time. */
  readonly since?: Date;
  /** Items created before this time. */
  readonly until?: Date;
}

/** A page of {@link DeadLetterFilter} results. */
export interface DeadLetterListOptions extends DeadLetterFilter {
  /** @defaultValue `100` (at most 1000) */
  readonly limit?: number | undefined;
  /** @defaultValue `0` */
  readonly offset?: number | undefined;
}

/** Counts over the dead-letter queue. */
export interface DeadLetterStats {
  readonly total: number;
  readonly byObserver: Readonly<Record<string, number>>;
  readonly byEntityType: Readonly<Record<string, number>>;
  readonly byErrorType: Readonly<Record<string, number>>;
  readonly oldest: Date | undefined;
  readonly newest: Date | undefined;
}

/** What a replay of a dead-lettered action produced. */
export type DeadLetterReplayOutcome =
  | {
      readonly ok: true;
      readonly result: ActionResult;
      readonly attempts: readonly DeadLetterAttempt[];
    }
  | {
      readonly ok: false;
      readonly error: {
        readonly code: string;
        readonly errorType: string;
        readonly message: string;
      };
      readonly attempts: readonly DeadLetterAttempt[];
    };

/** Runs a dead-lettered action again (the observer executor provides one). */
export type DeadLetterReplayer = (
  item: DeadLetter,
  options: { readonly signal?: AbortSignal | undefined },
) => Promise<DeadLetterReplayOutcome>;

/** The result of retrying one item. */
export type DeadLetterRetryResult =
  | { readonly id: string; readonly status: 'succeeded'; readonly summary: string }
  | { readonly id: string; readonly status: 'failed'; readonly error: string }
  /** Another retry of the same item is running. */
  | { readonly id: string; readonly status: 'busy' };

/** Totals of {@link DeadLetterQueue.retryAll}. */
export interface DeadLetterRetryAllResult {
  readonly succeeded: number;
  readonly failed: number;
  readonly busy: number;
  readonly results: readonly DeadLetterRetryResult[];
}
