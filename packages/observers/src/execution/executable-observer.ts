import type { DurationInput, EntityEvent } from '@fraiseql/core';
import type { ActionExecutor } from '../actions/action-executor.js';
import type { ObserverError } from '../errors.js';
import type { RetryPolicyConfig } from './retry-policy.js';

/** The fields of an action config the executor reads (every built-in action config fits). */
export interface ExecutableAction {
  readonly type: string;
  /** Per-attempt timeout; the attempt's signal is aborted when it passes. */
  readonly timeout?: DurationInput | undefined;
  /** Overrides the observer's retry settings for this action. */
  readonly retry?: RetryPolicyConfig | undefined;
}

/** The fields of a parsed observer the executor reads (an `ObserverDefinition` fits). */
export interface ExecutableObserver {
  readonly name: string;
  readonly actions: readonly ExecutableAction[];
  readonly retry?: RetryPolicyConfig | undefined;
  /** @defaultValue `'dlq'` */
  readonly onFailure?: 'log' | 'alert' | 'dlq' | undefined;
  /** @defaultValue `'none'` */
  readonly ordering?: 'none' | 'per-entity' | undefined;
  /** Most actions of this observer running at once. */
  readonly concurrency?: number | undefined;
  /**
   * Set by the matcher when this observer's condition failed on the event: the executor sends
   * the event to this observer's failure policy (action index -1, type `condition`) and runs
   * none of its actions.
   */
  readonly matchError?: ObserverError | undefined;
}

/** The slice of the matcher the executor calls. */
export interface ObserverLookup {
  /** Observers (enabled, not paused) whose entity, events and condition match `event`. */
  match(event: EntityEvent): readonly ExecutableObserver[];
  /** An observer by name, used to replay dead letters; falls back to `match` when absent. */
  get?(name: string): ExecutableObserver | undefined;
  /**
   * Running and paused observers that match, each with its state. With {@link whenRunning} it
   * lets the executor hold a paused observer's events instead of acknowledging them; without
   * either, paused observers are invisible and their events are not held.
   */
  matchAll?(
    event: EntityEvent,
  ): readonly (ExecutableObserver & { readonly state: 'running' | 'paused' })[];
  /** Resolves once the observer runs again, or with `'disabled'`/`'removed'` when it never will. */
  whenRunning?(
    name: string,
    options?: { signal?: AbortSignal },
  ): Promise<'running' | 'disabled' | 'removed'>;
}

/** The slice of the action registry the executor calls. */
export interface ActionExecutorLookup {
  /** The executor of an action type (undefined or a throw when the type is unknown). */
  get(type: string): ActionExecutor | undefined;
}

/** What the runtime passes with each event. */
export interface ObserverHandlerContext {
  /** Delivery attempt, 1 on first delivery. */
  readonly attempt?: number;
  /** Aborted on shutdown or lease loss; stops waits and is passed to actions. */
  readonly signal?: AbortSignal;
  /** Keeps the delivery alive during long work (lease extension, NATS `working()`). */
  readonly heartbeat?: () => Promise<void>;
  /**
   * Told when an action failed for good and was not dead-lettered (`onFailure: log` or
   * `alert`): the event is still settled done, but the runtime counts it as failed.
   */
  readonly reportFailure?: (errorType: string) => void;
  /**
   * Gives up the handler's runtime slot while an action waits on an open breaker or a retry
   * backoff; false when the runtime cannot detach more handlers (the wait is then handed back).
   */
  readonly detach?: () => boolean;
}
