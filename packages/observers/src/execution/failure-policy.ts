import type { EntityEvent, Logger } from '@fraiseql/core';
import type { DeadLetterAttempt } from '../dlq/dead-letter.js';
import type { DeadLetterQueue } from '../dlq/dead-letter-queue.js';
import type { ObserverError } from '../errors.js';
import type { ObserverMetrics } from '../metrics/observer-metrics.js';

/** What `onFailure: alert` reports to the `onAlert` callback. */
export interface ObserverAlert {
  readonly observer: string;
  readonly actionIndex: number;
  readonly actionType: string;
  readonly event: EntityEvent;
  readonly error: ObserverError;
  /** Why the executor gave up. */
  readonly reason: 'permanent' | 'max-attempts' | 'max-elapsed';
  readonly attempts: readonly DeadLetterAttempt[];
}

/** What the failure policy needs. */
export interface FailurePolicyDeps {
  readonly dlq: DeadLetterQueue | undefined;
  readonly logger: Logger;
  readonly metrics: ObserverMetrics;
  readonly onAlert: ((alert: ObserverAlert) => void | Promise<void>) | undefined;
}

/**
 * Applies an observer's `onFailure` to an action that failed for good: `log` writes an error
 * line, `alert` also calls `onAlert`, `dlq` stores it in the dead-letter queue. Returns whether
 * the failure was dead-lettered (the event then counts as processed).
 *
 * @throws when the dead-letter write fails, so the event is delivered again instead of lost.
 */
export async function applyFailurePolicy(
  policy: 'log' | 'alert' | 'dlq',
  alert: ObserverAlert,
  deps: FailurePolicyDeps,
): Promise<boolean> {
  const fields = {
    observer: alert.observer,
    actionIndex: alert.actionIndex,
    actionType: alert.actionType,
    eventId: alert.event.id,
    entityType: alert.event.entityType,
    entityId: alert.event.entityId,
    reason: alert.reason,
    attempts: alert.attempts.length,
    errorType: alert.error.errorType,
    err: alert.error,
  };
  if (policy === 'dlq') {
    if (deps.dlq !== undefined) {
      await deps.dlq.add({
        event: alert.event,
        observer: alert.observer,
        actionIndex: alert.actionIndex,
        actionType: alert.actionType,
        errorCode: alert.error.code,
        errorType: alert.error.errorType,
        errorMessage: alert.error.message,
        attempts: alert.attempts,
      });
      deps.logger.warn(fields, 'action failed; dead-lettered');
      return true;
    }
    deps.logger.error(
      fields,
      'action failed; onFailure is dlq but no dead-letter queue is configured',
    );
    return false;
  }
  deps.logger.error(fields, policy === 'alert' ? 'action failed; alerting' : 'action failed');
  if (policy === 'alert' && deps.onAlert !== undefined) {
    try {
      await deps.onAlert(alert);
    } catch (error) {
      deps.logger.error({ ...fields, err: error }, 'onAlert callback threw');
    }
  }
  return false;
}
