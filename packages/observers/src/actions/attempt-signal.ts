import { parseDuration, type DurationInput } from '@fraiseql/core';

/** A signal for one attempt, and the way to release its timer and listener. */
export interface AttemptSignal extends Disposable {
  readonly signal: AbortSignal;
}

/**
 * A signal that aborts when `parent` aborts (with its reason) or after `timeoutMs` (with a
 * `TimeoutError`). Cheaper than `AbortSignal.any([parent, AbortSignal.timeout(ms)])` and it
 * leaves no listener on a long-lived parent: dispose it when the attempt ends.
 */
export function attemptSignal(parent: AbortSignal, timeoutMs: number): AttemptSignal {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, [Symbol.dispose]: () => undefined };
  }
  const onAbort = (): void => {
    controller.abort(parent.reason);
  };
  parent.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => {
    controller.abort(new DOMException(`timed out after ${timeoutMs}ms`, 'TimeoutError'));
  }, timeoutMs);
  return {
    signal: controller.signal,
    [Symbol.dispose]: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * An action's `timeout` in milliseconds. Configs from the schema carry milliseconds; hand-built
 * ones may carry text such as `"10s"` or nothing (then `fallbackMs`).
 *
 * @throws {CoreError} `INVALID_DURATION` for unparseable text.
 */
export function timeoutMs(timeout: DurationInput | undefined, fallbackMs: number): number {
  if (typeof timeout === 'number') return timeout;
  return timeout === undefined ? fallbackMs : parseDuration(timeout, 'timeout');
}
