import type { EntityEvent, Logger } from '@fraiseql/core';
import type { FunctionActionConfig } from '../config/action-config.js';
import { ObserverError, isObserverError } from '../errors.js';
import { abortable } from './abortable.js';
import type { ActionContext, ActionExecutor, ActionResult } from './action-executor.js';
import { abortFailure } from './classify-error.js';
import { EXECUTE_NOW, isPromiseLike, type ExecutesNow } from './execute-now.js';

/** What a registered function handler is given besides the event. */
export interface FunctionActionContext {
  readonly observer: string;
  readonly actionIndex: number;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Aborted on the action timeout or shutdown; pass it to your I/O. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/**
 * A handler for `function` actions. Resolving means success (an optional string becomes the
 * summary). Throwing fails the attempt: an `ObserverError` keeps its `retryable`/`errorType`;
 * any other error is retryable with `errorType: 'handler'`.
 */
export type FunctionActionHandler = (
  event: EntityEvent,
  context: FunctionActionContext,
) => Promise<string | undefined | void> | string | undefined | void; // eslint-disable-line @typescript-eslint/no-invalid-void-type -- handlers commonly return nothing

/** Looks up a registered handler by name. */
export type FunctionLookup = (name: string) => FunctionActionHandler | undefined;

/**
 * The `function` action: calls the handler registered under `name` and succeeds only when it
 * resolves. A handler that ignores the signal is abandoned (and the attempt fails) when the
 * signal aborts.
 */
export function createFunctionAction(lookup: FunctionLookup): ActionExecutor<FunctionActionConfig> {
  const executor: ActionExecutor<FunctionActionConfig> & ExecutesNow<FunctionActionConfig> = {
    type: 'function',
    async execute(config: FunctionActionConfig, context: ActionContext): Promise<ActionResult> {
      return executor[EXECUTE_NOW](config, context);
    },
    /** A handler that returns without a promise is over: its result comes back as it is. */
    [EXECUTE_NOW](
      config: FunctionActionConfig,
      context: ActionContext,
    ): ActionResult | Promise<ActionResult> {
      const handler = lookup(config.name);
      if (handler === undefined) {
        throw new ObserverError(
          'ACTION_UNSUPPORTED',
          `function "${config.name}" is not registered; call registry.registerFunction("${config.name}", handler) before starting`,
          { retryable: false, errorType: 'handler' },
        );
      }
      let returned: ReturnType<FunctionActionHandler>;
      try {
        returned = handler(context.event, handlerContext(context));
      } catch (error) {
        throw handlerFailure(config.name, context, error);
      }
      // A synchronous handler is over when it returns: only a promise can outlive the signal
      // (and only then is the signal made, when the context is the executor's lazy one).
      if (!isPromiseLike(returned)) return resultOf(config.name, returned);
      return abortable(Promise.resolve(returned), context.signal).then(
        (summary) => resultOf(config.name, summary),
        (error: unknown) => {
          throw handlerFailure(config.name, context, error);
        },
      );
    },
  };
  return executor;
}

// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- mirrors the handler type
function resultOf(name: string, summary: string | undefined | void): ActionResult {
  return typeof summary === 'string' ? { summary } : doneResult(name);
}

/** What a handler's throw (or rejection) becomes. */
function handlerFailure(name: string, context: ActionContext, error: unknown): ObserverError {
  if (isObserverError(error)) return error;
  if (context.signal.aborted) return abortFailure(context.signal, `function "${name}"`, error);
  const message = error instanceof Error ? error.message : String(error);
  return new ObserverError('ACTION_FAILED', `function "${name}" threw: ${message}`, {
    cause: error,
    retryable: true,
    errorType: 'handler',
  });
}

// One result object per function name: a handler that returns nothing reports the same summary.
const doneResults = new Map<string, ActionResult>();
function doneResult(name: string): ActionResult {
  let result = doneResults.get(name);
  if (result === undefined) {
    result = Object.freeze({ summary: `function ${name} done` });
    if (doneResults.size < 10_000) doneResults.set(name, result);
  }
  return result;
}

/**
 * The handler's context. Its signal is read from the action's context only when the handler
 * asks for it, through an own enumerable getter so that a spread context keeps it.
 */
function handlerContext(context: ActionContext): FunctionActionContext {
  return {
    observer: context.observer,
    actionIndex: context.actionIndex,
    attempt: context.attempt,
    logger: context.logger,
    get signal(): AbortSignal {
      return context.signal;
    },
  };
}
