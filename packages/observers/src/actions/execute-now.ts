import type { ActionContext, ActionExecutor, ActionResult } from './action-executor.js';

/**
 * The key of an executor's synchronous entry point: the same work as `execute`, but it returns
 * the result itself when the action finished without waiting (a `function` handler that
 * returned a value), a promise only when it has to wait, and throws a failure it knows at once.
 * The run stage uses it to skip the promise hops of every layer for actions that never wait.
 * Internal to this package: wrapped executors simply lose it and go through `execute`.
 */
export const EXECUTE_NOW: unique symbol = Symbol('fraiseql.observers.executeNow');

/** An {@link ActionExecutor} with the synchronous entry point {@link EXECUTE_NOW}. */
export interface ExecutesNow<Config extends { readonly type: string }> {
  [EXECUTE_NOW](config: Config, context: ActionContext): ActionResult | Promise<ActionResult>;
}

/**
 * Runs `executor` on `config` through its synchronous entry point when it has one, else through
 * `execute`. A failure may be thrown rather than returned as a rejected promise.
 */
export function executeNow<Config extends { readonly type: string }>(
  executor: ActionExecutor<Config> & Partial<ExecutesNow<Config>>,
  config: Config,
  context: ActionContext,
): ActionResult | Promise<ActionResult> {
  const now = executor[EXECUTE_NOW];
  return now === undefined
    ? executor.execute(config, context)
    : now.call(executor, config, context);
}

/** True for promises and other thenables. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
