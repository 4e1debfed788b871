import type { EntityEvent } from '@fraiseql/core';
import type { ActionResult } from '../actions/action-executor.js';
import type { ObserverError } from '../errors.js';

/**
 * One finished attempt of one action, as the executor reports it to `onAttempt` (the
 * invocation log): exactly one of `result` (success) and `error` (failure, or `aborted` when a
 * lost lease or a hard stop cut it) is set.
 */
export interface ActionAttempt {
  readonly event: EntityEvent;
  readonly observer: string;
  readonly actionIndex: number;
  readonly actionType: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly durationMs: number;
  readonly result?: ActionResult | undefined;
  readonly error?: ObserverError | undefined;
  /** True when the attempt was cut by the event's signal (lease lost, hard stop). */
  readonly aborted?: boolean | undefined;
}

/** Receives every finished action attempt; must not throw and must not wait. */
export type ActionAttemptListener = (attempt: ActionAttempt) => void;
