import { isObserverError, ObserverError } from '../errors.js';

/**
 * Turns whatever an action threw into an {@link ObserverError}. Errors of unknown shape (a
 * user function's `TypeError`, a driver error) count as retryable: the policy's attempt budget
 * bounds them, and a permanent failure still ends in the failure policy.
 */
export function observerErrorOf(error: unknown): ObserverError {
  if (isObserverError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ObserverError('ACTION_FAILED', message, {
    cause: error,
    retryable: true,
    errorType: 'error',
  });
}
