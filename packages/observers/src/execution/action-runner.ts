import { parseDuration, type EntityEvent, type Logger } from '@fraiseql/core';
import type { ActionExecutor, ActionResult } from '../actions/action-executor.js';
import { isPromiseLike } from '../actions/execute-now.js';
import type { DeadLetterAttempt } from '../dlq/dead-letter.js';
import type { ActionAttemptListener } from './action-attempt.js';
import { ObserverError } from '../errors.js';
import type { ObserverMetrics } from '../metrics/observer-metrics.js';
import { AttemptRun, type AttemptClock } from './attempt-run.js';
import type { BreakerPermit, CircuitBreakerOptions } from './circuit-breaker.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type {
  ActionExecutorLookup,
  ExecutableAction,
  ExecutableObserver,
} from './executable-observer.js';
import { observerErrorOf } from './observer-error-of.js';
import { pause } from './pause.js';
import { RetryPolicy, type RetryPolicyConfig } from './retry-policy.js';
import { Semaphore } from './semaphore.js';

/** How one action ended after its retries. */
export type ActionOutcome =
  | {
      readonly ok: true;
      readonly result: ActionResult;
      /** The failed attempts before the one that succeeded. */
      readonly attempts: readonly DeadLetterAttempt[];
    }
  | {
      readonly ok: false;
      readonly error: ObserverError;
      readonly reason: 'permanent' | 'max-attempts' | 'max-elapsed';
      readonly attempts: readonly DeadLetterAttempt[];
    };

// Most actions succeed at the first attempt: their outcome shares this empty history.
const NO_ATTEMPTS: readonly DeadLetterAttempt[] = Object.freeze([]);

interface ActionSettings {
  /** The retry config the policy was parsed from, to notice a reloaded observer. */
  readonly retry: RetryPolicyConfig | undefined;
  readonly policy: RetryPolicy;
  readonly timeoutMs: number;
}

/** Where an action runs: the abort signal and how to keep the delivery alive while waiting. */
export interface ActionScope {
  /** Aborts everything, running attempts included (lease lost, hard stop). */
  readonly signal: AbortSignal;
  /**
   * Aborts waits only (retry delays, breaker deferrals, slots): `signal` or graceful shutdown.
   * Made on first use, since most actions never wait.
   */
  readonly waitSignal: () => AbortSignal;
  /** Throws when `waitSignal()` is (or would be) aborted. */
  readonly throwIfStopped: () => void;
  readonly keepAlive: () => Promise<void>;
  /** Caps the policy's attempts (a dead-letter retry runs once by default). */
  readonly maxAttempts?: number | undefined;
  /**
   * Enters the observer's waiting room before a breaker or retry wait; resolves to the function
   * that leaves it, or undefined when the room is full (the wait is then handed back to the
   * source instead). Without it, waits are not bounded.
   */
  readonly wait?: ((cause: WaitCause) => (() => void) | undefined) | undefined;
}

/** What an action waits on: an open breaker (with its endpoint) or a retry backoff. */
export type WaitCause =
  { readonly kind: 'breaker'; readonly endpoint: string } | { readonly kind: 'retry' };

/** One action's run, as {@link ActionRunner.run} hands it to its retry loop. */
interface ActionRun {
  readonly observer: ExecutableObserver;
  readonly action: ExecutableAction;
  readonly actionIndex: number;
  readonly event: EntityEvent;
  readonly scope: ActionScope;
  readonly executor: ActionExecutor;
  readonly settings: ActionSettings;
  readonly breaker: CircuitBreaker | undefined;
  readonly own: Semaphore | undefined;
  /** When the run began (`Date.now()`), for `maxElapsed`. */
  readonly first: number;
}

/** Settings of {@link ActionRunner}. */
export interface ActionRunnerSettings {
  readonly registry: ActionExecutorLookup;
  readonly metrics: ObserverMetrics;
  readonly logger: Logger;
  readonly concurrency: number;
  readonly defaultRetry: RetryPolicyConfig | undefined;
  readonly actionTimeoutMs: number;
  readonly breaker: CircuitBreakerOptions | false;
  readonly maxBreakerWaitMs: number;
  readonly heartbeatIntervalMs: number;
  readonly random: () => number;
  /** Attempt timeouts and aborts, shared by every attempt (no timer or listener per attempt). */
  readonly clock: AttemptClock;
  /** Told of every finished attempt (the invocation log). */
  readonly onAttempt?: ActionAttemptListener | undefined;
}

/**
 * The run stage: runs one action of one observer to its end: concurrency slots, circuit
 * breaker, per-attempt timeout, error classification, retry delays and `Retry-After`. Slots are
 * held only while an attempt runs, never during a retry delay, so a failing endpoint cannot
 * starve the others. A first attempt that succeeds allocates little beyond its
 * {@link AttemptRun}: no signal, timer, listener, log fields or attempt history.
 */
export class ActionRunner {
  readonly #settings: ActionRunnerSettings;
  readonly #global: Semaphore;
  readonly #perObserver = new Map<string, Semaphore>();
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #actionSettings = new WeakMap<ExecutableAction, ActionSettings>();

  constructor(settings: ActionRunnerSettings) {
    this.#settings = settings;
    this.#global = new Semaphore(settings.concurrency);
  }

  /** Actions running right now, and callers waiting for a slot. */
  get load(): { readonly running: number; readonly waiting: number } {
    return { running: this.#global.inUse, waiting: this.#global.waiting };
  }

  /** Breaker state per endpoint. */
  breakerStates(): Record<string, string> {
    return Object.fromEntries([...this.#breakers].map(([endpoint, b]) => [endpoint, b.state]));
  }

  /**
   * Runs `action` (index `actionIndex` of `observer`) for `event` until it succeeds or the
   * policy gives up.
   *
   * The outcome comes back without a promise when the first attempt finished at once (an
   * action that never waits); callers must accept both.
   *
   * @throws the signal's reason when `scope.signal` aborts, and `CIRCUIT_OPEN` (retryable) when
   * the endpoint's breaker stays open longer than `maxBreakerWait`: both mean "deliver later".
   * Either may be thrown synchronously or as a rejection.
   */
  run(
    observer: ExecutableObserver,
    action: ExecutableAction,
    actionIndex: number,
    event: EntityEvent,
    scope: ActionScope,
  ): ActionOutcome | Promise<ActionOutcome> {
    const { metrics } = this.#settings;
    const executor = this.#executorFor(action.type);
    if (executor === undefined) {
      const error = new ObserverError(
        'ACTION_UNSUPPORTED',
        `observers.${observer.name}.actions[${actionIndex}].type: no executor registered for "${action.type}"`,
        { errorType: 'unsupported' },
      );
      metrics.actionFailed(action.type, error.errorType, 0);
      return {
        ok: false,
        error,
        reason: 'permanent',
        attempts: [attemptRecord(1, Date.now(), 0, error)],
      };
    }
    const run: ActionRun = {
      observer,
      action,
      actionIndex,
      event,
      scope,
      executor,
      settings: this.#settingsFor(observer, action, actionIndex),
      breaker: this.#breakerFor(executor, action, observer.name),
      own: this.#ownSlots(observer),
      first: Date.now(),
    };
    // The first attempt needs no wait when there is no breaker to ask and the slots are free:
    // an action that finishes at once (a synchronous `function` handler) then returns its
    // outcome without a promise. Anything else continues in the retry loop.
    if (run.breaker !== undefined) return this.#loop(run, undefined);
    scope.throwIfStopped();
    if (!this.#tryTakeSlots(run.own)) return this.#loop(run, undefined);
    const started = Date.now();
    let now: ActionResult | Promise<ActionResult>;
    try {
      now = this.#attempt(run, 1).runNow(executor, action, scope.signal, this.#settings.clock);
    } catch (thrown) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- whatever the executor threw
      now = Promise.reject(thrown);
    }
    if (isPromiseLike(now)) return this.#loop(run, { started, pending: now });
    this.#giveSlots(run.own);
    metrics.actionExecuted(action.type, (Date.now() - started) / 1000);
    this.#settings.onAttempt?.({
      event,
      observer: observer.name,
      actionIndex,
      actionType: action.type,
      attempt: 1,
      startedAt: started,
      durationMs: Date.now() - started,
      result: now,
      error: undefined,
      aborted: scope.signal.aborted,
    });
    return { ok: true, result: now, attempts: NO_ATTEMPTS };
  }

  #attempt(run: ActionRun, attempt: number): AttemptRun {
    return new AttemptRun(
      {
        event: run.event,
        observer: run.observer.name,
        actionIndex: run.actionIndex,
        attempt,
        logger: this.#settings.logger,
      },
      run.action.type,
      run.settings.timeoutMs,
    );
  }

  /**
   * The retry loop. `carried` is a first attempt {@link run} started already, holding its
   * slots (no breaker permit: it only starts one without a breaker).
   */
  async #loop(
    run: ActionRun,
    carried: { readonly started: number; readonly pending: Promise<ActionResult> } | undefined,
  ): Promise<ActionOutcome> {
    const { metrics, logger } = this.#settings;
    const { observer, action, actionIndex, event, scope, executor, breaker, own, first } = run;
    const { policy } = run.settings;
    const maxAttempts = Math.min(policy.maxAttempts, scope.maxAttempts ?? Number.POSITIVE_INFINITY);
    let attempts: DeadLetterAttempt[] | undefined;
    let deferredMs = 0;
    let attempt = 0;
    let handOver = carried;

    for (;;) {
      let permit: BreakerPermit | undefined;
      let started: number;
      let pending: Promise<ActionResult> | undefined;
      if (handOver !== undefined) {
        ({ started, pending } = handOver);
        handOver = undefined;
      } else {
        scope.throwIfStopped();
        if (!this.#tryTakeSlots(own)) await this.#takeSlots(own, scope);
        if (breaker !== undefined) {
          const admission = breaker.tryAcquire();
          if (!admission.admitted) {
            this.#giveSlots(own);
            deferredMs += await this.#defer(
              breaker,
              admission.retryInMs,
              deferredMs,
              scope,
              logFields(observer, action, actionIndex, event),
            );
            continue;
          }
          permit = admission.permit;
        }
        started = Date.now();
      }
      attempt += 1;
      let error: ObserverError;
      let result: ActionResult | undefined;
      let failure: ObserverError | undefined;
      try {
        const now =
          pending ??
          this.#attempt(run, attempt).runNow(executor, action, scope.signal, this.#settings.clock);
        result = isPromiseLike(now) ? await now : now;
        permit?.success();
        metrics.actionExecuted(action.type, (Date.now() - started) / 1000);
        return { ok: true, result, attempts: attempts ?? NO_ATTEMPTS };
      } catch (thrown) {
        failure = observerErrorOf(thrown);
        if (scope.signal.aborted) {
          permit?.release();
          throw scope.signal.reason;
        }
        error = failure;
        if (error.retryable) permit?.failure();
        else permit?.release();
      } finally {
        this.#giveSlots(own);
        this.#settings.onAttempt?.({
          event,
          observer: observer.name,
          actionIndex,
          actionType: action.type,
          attempt,
          startedAt: started,
          durationMs: Date.now() - started,
          result,
          error: failure,
          aborted: scope.signal.aborted,
        });
      }
      const durationMs = Date.now() - started;
      (attempts ??= []).push(attemptRecord(attempt, started, durationMs, error));
      metrics.actionFailed(action.type, error.errorType, durationMs / 1000);
      const decision =
        attempt >= maxAttempts && error.retryable
          ? ({ retry: false, reason: 'max-attempts' } as const)
          : policy.next(attempt, Date.now() - first - deferredMs, error, this.#settings.random);
      if (!decision.retry) {
        logger.warn(
          {
            ...logFields(observer, action, actionIndex, event),
            attempt,
            err: error,
            reason: decision.reason,
          },
          'action failed; giving up',
        );
        return { ok: false, error, reason: decision.reason, attempts };
      }
      const leave = scope.wait === undefined ? noop : scope.wait({ kind: 'retry' });
      if (leave === undefined) {
        // The observer's waiting room is full: the source redelivers the event after the
        // runtime's backoff, and the delivery counts as failed against its retry budget.
        logger.warn(
          {
            ...logFields(observer, action, actionIndex, event),
            attempt,
            errorType: error.errorType,
            err: error,
          },
          'action failed; too many waits for this observer, handing the event back',
        );
        throw error;
      }
      metrics.actionRetried(action.type);
      logger.warn(
        {
          ...logFields(observer, action, actionIndex, event),
          attempt,
          delayMs: decision.delayMs,
          errorType: error.errorType,
          err: error,
        },
        'action failed; retrying',
      );
      try {
        await pause(
          decision.delayMs,
          scope.waitSignal(),
          () => scope.keepAlive(),
          this.#settings.heartbeatIntervalMs,
        );
      } finally {
        leave();
      }
    }
  }

  async #defer(
    breaker: CircuitBreaker,
    retryInMs: number,
    deferredMs: number,
    scope: ActionScope,
    log: Record<string, unknown>,
  ): Promise<number> {
    const handBack = (why: string): ObserverError =>
      new ObserverError(
        'CIRCUIT_OPEN',
        `circuit breaker of ${breaker.endpoint} is open; ${why}the event is handed back for redelivery`,
        {
          retryable: true,
          deferred: true,
          retryAfterMs: retryInMs,
          errorType: 'circuit_open',
          details: log,
        },
      );
    if (deferredMs + retryInMs > this.#settings.maxBreakerWaitMs) throw handBack('');
    const leave =
      scope.wait === undefined ? noop : scope.wait({ kind: 'breaker', endpoint: breaker.endpoint });
    if (leave === undefined) throw handBack('too many events of this observer wait already; ');
    this.#settings.logger.debug(
      { ...log, endpoint: breaker.endpoint, waitMs: retryInMs },
      'circuit open; deferring attempt',
    );
    try {
      await scope.keepAlive();
      await pause(
        retryInMs,
        scope.waitSignal(),
        () => scope.keepAlive(),
        this.#settings.heartbeatIntervalMs,
      );
    } finally {
      leave();
    }
    return retryInMs;
  }

  /** The observer's own slots, when it sets a `concurrency` of its own. */
  #ownSlots(observer: ExecutableObserver): Semaphore | undefined {
    if (observer.concurrency === undefined) return undefined;
    let own = this.#perObserver.get(observer.name);
    if (own === undefined) {
      own = new Semaphore(observer.concurrency, `observers.${observer.name}.concurrency`);
      this.#perObserver.set(observer.name, own);
    } else if (own.limit !== observer.concurrency) {
      own.resize(observer.concurrency); // the config was reloaded
    }
    return own;
  }

  /** Takes the observer's slot and a global one when both are free now, allocating nothing. */
  #tryTakeSlots(own: Semaphore | undefined): boolean {
    if (own !== undefined && !own.tryTake()) return false;
    if (this.#global.tryTake()) return true;
    own?.give();
    return false;
  }

  async #takeSlots(own: Semaphore | undefined, scope: ActionScope): Promise<void> {
    if (own !== undefined) await own.take(scope.waitSignal());
    try {
      await this.#global.take(scope.waitSignal());
    } catch (error) {
      own?.give();
      throw error;
    }
  }

  #giveSlots(own: Semaphore | undefined): void {
    this.#global.give();
    own?.give();
  }

  #executorFor(type: string): ActionExecutor | undefined {
    try {
      return this.#settings.registry.get(type);
    } catch {
      return undefined;
    }
  }

  /** The parsed retry policy and timeout of an action, cached per action object. */
  #settingsFor(
    observer: ExecutableObserver,
    action: ExecutableAction,
    actionIndex: number,
  ): ActionSettings {
    const retry = action.retry ?? observer.retry ?? this.#settings.defaultRetry;
    let cached = this.#actionSettings.get(action);
    if (cached === undefined || cached.retry !== retry) {
      const path = `observers.${observer.name}.actions[${actionIndex}]`;
      cached = {
        retry,
        policy: new RetryPolicy(retry ?? {}, `${path}.retry`),
        timeoutMs:
          action.timeout === undefined
            ? this.#settings.actionTimeoutMs
            : parseDuration(action.timeout, `${path}.timeout`),
      };
      this.#actionSettings.set(action, cached);
    }
    return cached;
  }

  #breakerFor(
    executor: ActionExecutor,
    action: ExecutableAction,
    observer: string,
  ): CircuitBreaker | undefined {
    if (this.#settings.breaker === false || executor.endpoint === undefined) return undefined;
    let endpoint: string | undefined;
    try {
      endpoint = executor.endpoint(action, { observer });
    } catch {
      return undefined; // a config the executor cannot read fails in execute, with a real error
    }
    if (endpoint === undefined) return undefined;
    let breaker = this.#breakers.get(endpoint);
    if (breaker === undefined) {
      const { metrics, logger } = this.#settings;
      breaker = new CircuitBreaker(endpoint, this.#settings.breaker, {
        onStateChange: (state) => {
          metrics.breakerState(endpoint, state);
          const level = state === 'open' ? 'warn' : 'info';
          logger[level]({ endpoint, state }, `circuit breaker ${state}`);
        },
      });
      this.#breakers.set(endpoint, breaker);
    }
    return breaker;
  }
}

/** The fields of every log line about one action (built only when a line is written). */
function logFields(
  observer: ExecutableObserver,
  action: ExecutableAction,
  actionIndex: number,
  event: EntityEvent,
): Record<string, unknown> {
  return { observer: observer.name, actionIndex, actionType: action.type, eventId: event.id };
}

function noop(): void {
  // nothing to leave
}

function attemptRecord(
  attempt: number,
  startedAt: number,
  durationMs: number,
  error: ObserverError,
): DeadLetterAttempt {
  return {
    attempt,
    at: new Date(startedAt).toISOString(),
    durationMs,
    errorCode: error.code,
    errorType: error.errorType,
    error: error.message,
  };
}
