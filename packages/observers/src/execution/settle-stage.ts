import type { EntityEvent } from '@fraiseql/core';
import { isObserverError, type ObserverError } from '../errors.js';
import type { ActionOutcome } from './action-runner.js';
import type { ExecutableObserver, ObserverHandlerContext } from './executable-observer.js';
import { applyFailurePolicy, type FailurePolicyDeps } from './failure-policy.js';

type Failed = Extract<ActionOutcome, { ok: false }>;

/**
 * The settle stage: what happens to an action that failed for good (the observer's
 * `onFailure` policy; the runtime is told of failures that were not dead-lettered), to an
 * observer whose condition failed on the event, and what the source is told once every
 * observer of an event is over.
 */
export class SettleStage {
  readonly #deps: FailurePolicyDeps;

  constructor(deps: FailurePolicyDeps) {
    this.#deps = deps;
  }

  /**
   * Applies the observer's failure policy to action `index`, which failed for good.
   *
   * @throws when the dead-letter write fails, so the event is delivered again instead of lost.
   */
  async actionFailed(
    observer: ExecutableObserver,
    index: number,
    actionType: string,
    event: EntityEvent,
    outcome: Failed,
    context: ObserverHandlerContext,
  ): Promise<void> {
    const deadLettered = await applyFailurePolicy(
      observer.onFailure ?? 'dlq',
      {
        observer: observer.name,
        actionIndex: index,
        actionType,
        event,
        error: outcome.error,
        reason: outcome.reason,
        attempts: outcome.attempts,
      },
      this.#deps,
    );
    if (!deadLettered) context.reportFailure?.(outcome.error.errorType);
  }

  /**
   * Sends an event whose condition failed for this observer to that observer's failure policy
   * (action index -1, type `condition`); none of its actions run.
   */
  async conditionFailed(
    observer: ExecutableObserver,
    event: EntityEvent,
    error: ObserverError,
    context: ObserverHandlerContext,
  ): Promise<void> {
    this.#deps.metrics.actionFailed('condition', error.errorType, 0);
    const deadLettered = await applyFailurePolicy(
      observer.onFailure ?? 'dlq',
      {
        observer: observer.name,
        actionIndex: -1,
        actionType: 'condition',
        event,
        error,
        reason: 'permanent',
        attempts: [
          {
            attempt: 1,
            at: new Date().toISOString(),
            durationMs: 0,
            errorCode: error.code,
            errorType: error.errorType,
            error: error.message,
          },
        ],
      },
      this.#deps,
    );
    if (!deadLettered) context.reportFailure?.(error.errorType);
  }
}

/**
 * Waits for every observer run of one event and settles the event: resolves when all of them
 * ended (done, skipped or through their failure policy), and otherwise throws what the source
 * must see. A real failure outranks a hand-back (a deferred error), since it must count
 * against the event's retry budget. Event counts (processed / failed) are the runtime's: it
 * sees every settlement.
 */
export async function settleEvent(runs: readonly Promise<void>[]): Promise<void> {
  if (runs.length === 0) return;
  if (runs.length === 1) {
    await runs[0];
    return;
  }
  const settled = await Promise.allSettled(runs);
  let handBack: unknown;
  let handedBack = false;
  for (const result of settled) {
    if (result.status === 'fulfilled') continue;
    const reason: unknown = result.reason;
    if (!isObserverError(reason) || !reason.deferred) throw reason;
    if (!handedBack) {
      handedBack = true;
      handBack = reason;
    }
  }
  if (handedBack) throw handBack;
}
