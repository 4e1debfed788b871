import type { EntityEvent, Logger } from '@fraiseql/core';
import type { ActionContext, ActionExecutor, ActionResult } from '../actions/action-executor.js';
import { executeNow, isPromiseLike } from '../actions/execute-now.js';
import { ObserverError } from '../errors.js';
import type { DeadlineQueue, Expirable } from './deadline-queue.js';
import type { ExecutableAction } from './executable-observer.js';
import type { FanoutChild, SignalFanout } from './signal-fanout.js';

const RUNNING: unique symbol = Symbol('running');

/** What every attempt of an executor shares: where its timeouts and aborts come from. */
export interface AttemptClock {
  readonly deadlines: DeadlineQueue;
  readonly fanout: SignalFanout;
}

/**
 * One attempt of one action: the context its executor is given, its timeout, and the abort of
 * the handler's signal. It makes no `AbortSignal`, listener or timer of its own: the timeout is
 * an entry in the shared {@link DeadlineQueue}, the handler's signal reaches it through the
 * {@link SignalFanout}, and `context.signal` is created only when the executor reads it (a
 * synchronous `function` handler never does). An `AbortSignal` costs several times the
 * accessor literal that keeps it lazy (`bench/observers-context-alloc.mjs`).
 */
export class AttemptRun implements Expirable, FanoutChild {
  readonly context: ActionContext;
  readonly #actionType: string;
  readonly #timeoutMs: number;
  #controller: AbortController | undefined;
  #reason: unknown = RUNNING;
  #reject: ((reason: unknown) => void) | undefined;

  constructor(
    fields: {
      readonly event: EntityEvent;
      readonly observer: string;
      readonly actionIndex: number;
      readonly attempt: number;
      readonly logger: Logger;
    },
    actionType: string,
    timeoutMs: number,
  ) {
    this.#actionType = actionType;
    this.#timeoutMs = timeoutMs;
    // An own, enumerable getter: executors that spread the context keep a working signal.
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getter lives on the context object
    const self = this;
    this.context = {
      event: fields.event,
      observer: fields.observer,
      actionIndex: fields.actionIndex,
      attempt: fields.attempt,
      logger: fields.logger,
      get signal(): AbortSignal {
        return self.signal;
      },
    };
  }

  /** The attempt's signal: aborted on its timeout or when the handler's signal aborts. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== RUNNING) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /**
   * Runs the attempt. It rejects with the timeout error or `outer`'s reason as soon as either
   * comes, even when the executor ignores its signal (the executor's work is then abandoned).
   */
  run(
    executor: ActionExecutor,
    action: ExecutableAction,
    outer: AbortSignal,
    clock: AttemptClock,
  ): Promise<ActionResult> {
    return this.#guard(() => executor.execute(action, this.context), outer, clock);
  }

  /**
   * {@link run}, but an executor that finishes without waiting (see {@link executeNow}) has
   * its result returned as it is, and a failure it knows at once is thrown: no deadline entry,
   * fanout membership or promise is made for it, since nothing can interrupt synchronous code.
   */
  runNow(
    executor: ActionExecutor,
    action: ExecutableAction,
    outer: AbortSignal,
    clock: AttemptClock,
  ): ActionResult | Promise<ActionResult> {
    if (outer.aborted) return this.run(executor, action, outer, clock);
    const returned = executeNow(executor, action, this.context);
    if (!isPromiseLike(returned)) return returned;
    return this.#guard(() => returned, outer, clock);
  }

  async #guard(
    start: () => ActionResult | PromiseLike<ActionResult>,
    outer: AbortSignal,
    clock: AttemptClock,
  ): Promise<ActionResult> {
    const joined = clock.fanout.join(outer, this);
    if (!joined) this.#abort(outer.reason);
    clock.deadlines.add(this, this.#timeoutMs);
    try {
      const pending = Promise.resolve(start());
      return await new Promise<ActionResult>((resolve, reject) => {
        // The reason is the handler signal's or the timeout's, whatever its type.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        if (this.#reason !== RUNNING) reject(this.#reason);
        this.#reject = reject;
        pending.then(resolve, reject);
      });
    } catch (error) {
      // The executor may surface the abort as its own error; the timeout is the real cause.
      if (this.#reason !== RUNNING && !outer.aborted) throw this.#reason;
      throw error;
    } finally {
      this.#reject = undefined;
      clock.deadlines.remove(this, this.#timeoutMs);
      if (joined) clock.fanout.leave(outer, this);
    }
  }

  expire(): void {
    this.#abort(
      new ObserverError(
        'ACTION_TIMEOUT',
        `${this.#actionType} action timed out after ${this.#timeoutMs}ms`,
        { retryable: true, errorType: 'timeout' },
      ),
    );
  }

  parentAborted(reason: unknown): void {
    this.#abort(reason);
  }

  #abort(reason: unknown): void {
    if (this.#reason !== RUNNING) return;
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.#reject?.(reason);
  }
}
