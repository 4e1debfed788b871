import type { EntityEvent } from '@fraiseql/core';
import type { DeadLetter, DeadLetterReplayer } from '../dlq/dead-letter.js';
import { ObserverError } from '../errors.js';
import type { ExecutableObserver } from '../execution/executable-observer.js';
import type { InvocationLog } from './invocation-log.js';

/** What {@link redeliverEvent} needs. */
export interface RedeliverOptions {
  /** The executor's `replay` (one attempt of one action, breakers and timeouts included). */
  readonly replay: DeadLetterReplayer;
  /** The observer to run, as the matcher holds it now. */
  readonly observer: ExecutableObserver;
  readonly event: EntityEvent;
  /** Marks the attempts as a redelivery by `actor` in the log. */
  readonly log?: InvocationLog | undefined;
  /** Who asked (the admin token's name). */
  readonly actor?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** One action of a redelivery. */
export type RedeliveredAction =
  | {
      readonly actionIndex: number;
      readonly actionType: string;
      readonly status: 'succeeded';
      readonly summary: string;
    }
  | {
      readonly actionIndex: number;
      readonly actionType: string;
      readonly status: 'failed';
      readonly error: string;
    }
  | { readonly actionIndex: number; readonly actionType: string; readonly status: 'skipped' };

/** What a redelivery did. */
export interface RedeliverResult {
  readonly eventId: string;
  readonly observer: string;
  readonly ok: boolean;
  readonly actions: readonly RedeliveredAction[];
}

/**
 * Sends one event to one observer again, whatever happened before: each action once, in order,
 * stopping at the first failure (later actions are `skipped`). Dedup records are not consulted
 * (an operator asked for it); nothing is dead-lettered (the operator sees the outcome).
 *
 * @throws {ObserverError} `INVALID_ARGUMENT` when the observer has no actions.
 */
export async function redeliverEvent(options: RedeliverOptions): Promise<RedeliverResult> {
  const { observer, event } = options;
  if (observer.actions.length === 0) {
    throw new ObserverError('INVALID_ARGUMENT', `observer ${observer.name} has no actions`);
  }
  const run = async (): Promise<RedeliveredAction[]> => {
    const results: RedeliveredAction[] = [];
    let failed = false;
    for (const [actionIndex, action] of observer.actions.entries()) {
      const actionType = action.type;
      if (failed) {
        results.push({ actionIndex, actionType, status: 'skipped' });
        continue;
      }
      // The replayer reads only these fields of a dead letter.
      const item = { observer: observer.name, actionIndex, actionType, event } as DeadLetter;
      const outcome = await options.replay(item, { signal: options.signal });
      if (outcome.ok) {
        results.push({
          actionIndex,
          actionType,
          status: 'succeeded',
          summary: outcome.result.summary,
        });
      } else {
        failed = true;
        results.push({ actionIndex, actionType, status: 'failed', error: outcome.error.message });
      }
    }
    return results;
  };
  const actions =
    options.log === undefined
      ? await run()
      : await options.log.tagged(
          { eventId: event.id, observer: observer.name },
          { trigger: 'redelivery', actor: options.actor },
          run,
        );
  return {
    eventId: event.id,
    observer: observer.name,
    ok: actions.every((action) => action.status === 'succeeded'),
    actions,
  };
}
