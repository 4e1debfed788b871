import type { EntityEvent, Logger } from '@fraiseql/core';
import type { FunctionActionConfig } from '../config/action-config.js';
import { ObserverError, isObserverError } from '../errors.js';
import { abortable } from './abortable.js';
import type { ActionContext, ActionExecutor, ActionResult } from './action-executor.js';
import { abortFailure } from './classify-error.js';

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
  return {
    type: 'function',
    async execute(config, context): Promise<ActionResult> {
      const handler = lookup(config.name);
      if (handler === undefined) {
        throw new ObserverError(
          'ACTION_UNSUPPORTED',
          `function "${config.name}" is not registered; call registry.registerFunction("${config.name}", handler) before starting`,
          { retryable: false, errorType: 'handler' },
        );
      }
      let summary: string | undefined | void; // eslint-disable-line @typescript-eslint/no-invalid-void-type -- mirrors the handler type
      try {
        const returned = handler(context.event, handlerContext(context));
        // A synchronous handler is over when it returns: only a promise can outlive the signal
        // (and only then is the signal made, when the context is the executor's lazy one).
        summary = isPromiseLike(returned)
          ? await abortable(Promise.resolve(returned), context.signal)
          : returned;
      } catch (error) {
        if (isObserverError(error)) throw error;
        if (context.signal.aborted) {
          throw abortFailure(context.signal, `function "${config.name}"`, error);
        }
        const message = error instanceof Error ? error.message : String(error);
        throw new ObserverError('ACTION_FAILED', `function "${config.name}" threw: ${message}`, {
          cause: error,
          retryable: true,
          errorType: 'handler',
        });
      }
      return typeof summary === 'string' ? { summary } : doneResult(config.name);
    },
  };
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

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
