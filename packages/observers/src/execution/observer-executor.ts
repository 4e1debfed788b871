import {
  parseDuration,
  silentLogger,
  type DurationInput,
  type EntityEvent,
  type Logger,
} from '@fraiseql/core';
import { isPromiseLike } from '../actions/execute-now.js';
import type { DedupStore } from '../dedup/dedup-store.js';
import type { DeadLetterReplayer } from '../dlq/dead-letter.js';
import type { DeadLetterQueue } from '../dlq/dead-letter-queue.js';
import { ObserverError } from '../errors.js';
import { noopObserverMetrics, type ObserverMetrics } from '../metrics/observer-metrics.js';
import type { ObserverHealth } from '../runtime/observer-runtime-options.js';
import type { ActionAttemptListener } from './action-attempt.js';
import { DeadlineQueue } from './deadline-queue.js';
import { ActionRunner, type ActionOutcome } from './action-runner.js';
import { ClaimStage, NO_CLAIM, type ObserverClaim } from './claim-stage.js';
import type { CircuitBreakerOptions } from './circuit-breaker.js';
import { EventWaits, ObserverScope } from './observer-scope.js';
import type {
  ActionExecutorLookup,
  ExecutableObserver,
  ObserverHandlerContext,
  ObserverLookup,
} from './executable-observer.js';
import type { ObserverAlert } from './failure-policy.js';
import { KeyedQueue } from './keyed-queue.js';
import { observerErrorOf } from './observer-error-of.js';
import { PauseHold } from './pause-hold.js';
import type { RetryPolicyConfig } from './retry-policy.js';
import { SettleStage, settleEvent } from './settle-stage.js';
import { SignalFanout } from './signal-fanout.js';
import { WaitingRooms } from './waiting-room.js';

// What the handler returns for an event whose observers all finished at once.
const RESOLVED: Promise<void> = Promise.resolve();

// Handlers called without a signal share one that never aborts.
const NEVER_ABORTED = new AbortController().signal;

/** Options of {@link createObserverExecutor}. */
export interface ObserverExecutorOptions {
  /** Chooses the observers of each event (the observers matcher). */
  readonly matcher: ObserverLookup;
  /** Finds the executor of each action type (the action registry). */
  readonly registry: ActionExecutorLookup;
  /** Where `onFailure: dlq` writes; also gets this executor as its replayer. */
  readonly dlq?: DeadLetterQueue | undefined;
  /** Claims and finished-action records; without it, redeliveries re-run every action. */
  readonly dedup?: DedupStore | undefined;
  readonly metrics?: ObserverMetrics | undefined;
  readonly logger?: Logger | undefined;
  /** Most actions running at once across all observers. @defaultValue `64` */
  readonly concurrency?: number | undefined;
  /** Retry settings of observers and actions that set none. @defaultValue exponential, 5 attempts, 1s..5m, 1h */
  readonly retry?: RetryPolicyConfig | undefined;
  /**
   * Per-attempt timeout of actions without a `timeout` of their own; keep it below the source's
   * ack deadline (NATS `ackWait`, change-log `leaseDuration`, both `30s` by default).
   * @defaultValue `'20s'`
   */
  readonly actionTimeout?: DurationInput | undefined;
  /** Circuit breaker tuning per endpoint, or `false` for none. @defaultValue see {@link CircuitBreakerOptions} */
  readonly breaker?: CircuitBreakerOptions | false | undefined;
  /**
   * Longest an action waits in process for an open breaker; beyond it the event is handed back
   * to the source (the handler throws a retryable `CIRCUIT_OPEN`). @defaultValue `'1m'`
   */
  readonly maxBreakerWait?: DurationInput | undefined;
  /**
   * Longest an event is held in process for a paused observer (the delivery is kept alive
   * meanwhile, without using an action slot); beyond it the event is handed back to the source
   * (a deferred `OBSERVER_PAUSED`, redelivered after the same delay). @defaultValue `'5m'`
   */
  readonly maxPauseWait?: DurationInput | undefined;
  /**
   * Most (event, observer) runs of one observer waiting at once on an open breaker or a retry
   * backoff. Waiting runs give up the runtime's handler slot (their events stay unsettled);
   * beyond this bound a breaker wait hands the event back to the source (`CIRCUIT_OPEN`) and a
   * retry wait throws the action's error (the source redelivers the event after the runtime's
   * backoff), so one failing observer never holds more. @defaultValue `128`
   */
  readonly maxWaitingPerObserver?: number | undefined;
  /** Lifetime of a processing claim (renewed while waiting). @defaultValue `'5m'` */
  readonly claimTtl?: DurationInput | undefined;
  /** How long finished actions are remembered for dedup. @defaultValue `'24h'` */
  readonly resultTtl?: DurationInput | undefined;
  /** Interval of heartbeats and claim renewals during long waits. @defaultValue `'10s'` */
  readonly heartbeatInterval?: DurationInput | undefined;
  /** Called for every action that fails for good under `onFailure: alert`. */
  readonly onAlert?: ((alert: ObserverAlert) => void | Promise<void>) | undefined;
  /** Source of jitter in `[0, 1)`, for tests. @defaultValue `Math.random` */
  readonly random?: (() => number) | undefined;
  /**
   * Told of every finished action attempt, successes included (the invocation log's `record`).
   * Called on the hot path: it must not throw or wait. @defaultValue none
   */
  readonly onAttempt?: ActionAttemptListener | undefined;
}

/** Counters of an {@link ObserverExecutor}. */
export interface ObserverExecutorStats {
  /** Handler calls not yet finished. */
  readonly inFlightEvents: number;
  /** Action attempts running now. */
  readonly runningActions: number;
  /** Action attempts waiting for a concurrency slot. */
  readonly waitingActions: number;
  /** (event, observer) pairs held because the observer is paused. */
  readonly heldForPause: number;
  /** Dedup store calls that failed (processing went on without dedup). */
  readonly dedupUnavailable: number;
  /** Breaker state per endpoint. */
  readonly breakers: Readonly<Record<string, string>>;
  /** Runs waiting on a breaker or a retry backoff, per observer (observers with none omitted). */
  readonly waiting: Readonly<Record<string, number>>;
}

/**
 * The runtime's event handler: call it with each delivered event. It resolves when every
 * matched observer's actions succeeded, were skipped by dedup or went through the failure
 * policy, and throws when the event must be delivered again (shutdown, an open breaker beyond
 * `maxBreakerWait`, a dead-letter write that failed, the same event being processed elsewhere).
 */
export interface ObserverExecutor {
  (event: EntityEvent, context?: ObserverHandlerContext): Promise<void>;
  /** Re-runs a dead-lettered action (what `dlq.retry` calls). One attempt unless `maxAttempts` says more. */
  readonly replay: DeadLetterReplayer;
  stats(): ObserverExecutorStats;
  /**
   * Observers with runs waiting now: `degraded` while they wait on an open breaker or their
   * waiting room is full. Pass the executor as the runtime's `observers` to see it in `health()`.
   */
  observerHealth(): readonly ObserverHealth[];
  /** Refuses new events, ends retry and breaker waits (their events are handed back), and waits for running attempts. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Creates the observer executor: for each event, runs every matched observer through three
 * stages, each in its own file: the claim stage ({@link ClaimStage}: dedup claim, actions
 * finished earlier), the run stage ({@link ActionRunner}: concurrency limits, circuit breakers,
 * per-attempt timeout, retries, waiting rooms) and the settle stage ({@link SettleStage}: failure
 * policy, what the source is told). Paused observers are held ({@link PauseHold}) and
 * per-entity observers queued before the claim.
 *
 * @throws {ObserverError} `INVALID_ARGUMENT` for an invalid `concurrency` or duration.
 */
export function createObserverExecutor(options: ObserverExecutorOptions): ObserverExecutor {
  const metrics = options.metrics ?? noopObserverMetrics;
  const logger = options.logger ?? silentLogger;
  const heartbeatIntervalMs = Math.max(
    1,
    parseDuration(options.heartbeatInterval ?? '10s', 'heartbeatInterval'),
  );
  const maxWaiting = options.maxWaitingPerObserver ?? 128;
  if (!Number.isInteger(maxWaiting) || maxWaiting < 0) {
    throw new ObserverError(
      'INVALID_ARGUMENT',
      `maxWaitingPerObserver: expected an integer >= 0, got ${JSON.stringify(maxWaiting)}`,
    );
  }
  const fanout = new SignalFanout();
  const claims = new ClaimStage({
    dedup: options.dedup,
    metrics,
    logger,
    claimTtlMs: parseDuration(options.claimTtl ?? '5m', 'claimTtl'),
    resultTtlMs: parseDuration(options.resultTtl ?? '24h', 'resultTtl'),
  });
  const runner = new ActionRunner({
    registry: options.registry,
    metrics,
    logger,
    concurrency: options.concurrency ?? 64,
    defaultRetry: options.retry,
    actionTimeoutMs: parseDuration(options.actionTimeout ?? '20s', 'actionTimeout'),
    breaker: options.breaker ?? {},
    maxBreakerWaitMs: parseDuration(options.maxBreakerWait ?? '1m', 'maxBreakerWait'),
    heartbeatIntervalMs,
    random: options.random ?? Math.random,
    clock: { deadlines: new DeadlineQueue(), fanout },
    onAttempt: options.onAttempt,
  });
  const settle = new SettleStage({ dlq: options.dlq, logger, metrics, onAlert: options.onAlert });
  const rooms = new WaitingRooms(maxWaiting, metrics);
  const pauses = new PauseHold({
    fanout,
    logger,
    heartbeatIntervalMs,
    maxPauseWaitMs: parseDuration(options.maxPauseWait ?? '5m', 'maxPauseWait'),
  });
  const entityQueue = new KeyedQueue();
  const shutdown = new AbortController();
  let inFlight = 0;
  let idle: Promise<void> | undefined;
  let markIdle: (() => void) | undefined;

  /**
   * Runs one observer for one event through the three stages; throws to hand the event back.
   * Returns nothing (no promise) when every action finished at once, which is the case for
   * synchronous `function` actions without dedup: the common case pays no promise hops.
   */
  const runObserver = (
    observer: ExecutableObserver,
    event: EntityEvent,
    context: ObserverHandlerContext,
    waits: EventWaits,
    matcher: ObserverLookup,
  ): Promise<void> | undefined => {
    if (
      claims.enabled ||
      observer.matchError !== undefined ||
      ('state' in observer && observer.state === 'paused' && matcher.whenRunning !== undefined)
    ) {
      return runObserverAsync(observer, event, context, waits, matcher);
    }
    // No claim to take or release: run the actions while they finish at once.
    const { actions } = observer;
    const scope = new ObserverScope(waits, observer.name, NO_CLAIM, context, rooms);
    let index = -1;
    for (const action of actions) {
      index += 1;
      const outcome = runner.run(observer, action, index, event, scope);
      if (isPromiseLike(outcome) || !outcome.ok) {
        return runActions(observer, event, context, NO_CLAIM, scope, index, outcome);
      }
    }
    return undefined;
  };

  /** {@link runObserver} for runs that wait: a paused observer, a claim, a failed condition. */
  const runObserverAsync = async (
    observer: ExecutableObserver,
    event: EntityEvent,
    context: ObserverHandlerContext,
    waits: EventWaits,
    matcher: ObserverLookup,
  ): Promise<void> => {
    if ('state' in observer && observer.state === 'paused' && matcher.whenRunning !== undefined) {
      const state = await pauses.hold(
        observer.name,
        event,
        context,
        waits.waitSignal(),
        (name, opts) => matcher.whenRunning?.(name, opts) ?? Promise.resolve('running' as const),
      );
      if (state !== 'running') return;
    }
    if (observer.matchError !== undefined) {
      await settle.conditionFailed(observer, event, observer.matchError, context);
      return;
    }
    // 1. claim and dedup
    const claim = claims.enabled
      ? await claims.claim(event, observer.name, observer.actions.length)
      : NO_CLAIM;
    const scope = new ObserverScope(waits, observer.name, claim, context, rooms);
    await runActions(observer, event, context, claim, scope, 0, undefined);
  };

  /**
   * Runs the actions of one observer from `from` on (2. run with retries and breakers, 3.
   * settle and report), then releases the claim. `started` is the outcome of action `from`
   * when the caller already ran it.
   */
  const runActions = async (
    observer: ExecutableObserver,
    event: EntityEvent,
    context: ObserverHandlerContext,
    claim: ObserverClaim,
    scope: ObserverScope,
    from: number,
    started: ActionOutcome | Promise<ActionOutcome> | undefined,
  ): Promise<void> => {
    const { actions } = observer;
    let skipped = false;
    let carried = started;
    try {
      let index = -1;
      for (const action of actions) {
        index += 1;
        if (index < from) continue;
        let outcome: ActionOutcome | Promise<ActionOutcome>;
        if (carried !== undefined) {
          outcome = carried;
          carried = undefined;
        } else {
          if (claim.isDone(index)) {
            metrics.cacheHit();
            skipped = true;
            continue;
          }
          if (claims.enabled) metrics.cacheMiss();
          outcome = runner.run(observer, action, index, event, scope);
        }
        const ended = isPromiseLike(outcome) ? await outcome : outcome;
        if (ended.ok) {
          if (claim.held) await claim.complete(index, ended.result.summary);
        } else {
          await settle.actionFailed(observer, index, action.type, event, ended, context);
        }
      }
    } finally {
      if (skipped) metrics.dedupProcessingSkipped();
      if (claim.held) await claim.release();
    }
  };

  /** Leaves the executor's in-flight count (and wakes `close` at zero). */
  const leave = (): void => {
    inFlight -= 1;
    if (inFlight === 0 && markIdle !== undefined) {
      markIdle();
      markIdle = undefined;
      idle = undefined;
    }
  };

  const handle = (event: EntityEvent, context: ObserverHandlerContext = {}): Promise<void> => {
    if (shutdown.signal.aborted) {
      return Promise.reject(
        new ObserverError('CLOSED', 'observer executor is closed; deliver the event later', {
          retryable: true,
          deferred: true,
          errorType: 'closed',
        }),
      );
    }
    inFlight += 1;
    let waits: EventWaits | undefined;
    let pending: Promise<void>[] | undefined;
    try {
      const { matcher } = options;
      const holds = matcher.matchAll !== undefined && matcher.whenRunning !== undefined;
      const observers = holds ? (matcher.matchAll?.(event) ?? []) : matcher.match(event);
      if (observers.length > 0) {
        // `signal` stops everything (the runtime gave up on the handler); waits also stop on
        // close.
        const eventWaits = new EventWaits(
          context.signal ?? NEVER_ABORTED,
          shutdown.signal,
          fanout,
          context,
        );
        waits = eventWaits;
        // Per-entity observers take their place in line now, before any await, so the call
        // order of the handler is the order in which their events run. Runs that finish at
        // once leave nothing to wait for; the others are settled together below.
        for (const observer of observers) {
          let run: Promise<void> | undefined;
          try {
            run =
              observer.ordering === 'per-entity'
                ? entityQueue.run(
                    `${observer.name}\u0000${event.entityType}\u0000${event.entityId}`,
                    async () => runObserver(observer, event, context, eventWaits, matcher),
                  )
                : runObserver(observer, event, context, eventWaits, matcher);
          } catch (thrown) {
            // A run that failed before its first wait fails like one that failed after it.
            // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- whatever the run threw
            run = Promise.reject(thrown);
          }
          if (run !== undefined) (pending ??= []).push(run);
        }
      }
    } catch (thrown) {
      waits?.dispose();
      leave();
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- whatever matching threw
      return Promise.reject(thrown);
    }
    if (pending === undefined) {
      waits?.dispose();
      leave();
      return RESOLVED;
    }
    return settleEvent(pending).finally(() => {
      waits?.dispose();
      leave();
    });
  };

  const replay: DeadLetterReplayer = async (item, replayOptions) => {
    const observer =
      options.matcher.get?.(item.observer) ??
      options.matcher.match(item.event).find((candidate) => candidate.name === item.observer);
    const action = observer?.actions[item.actionIndex];
    if (observer === undefined || action?.type !== item.actionType) {
      const message =
        observer === undefined
          ? `observer ${item.observer} is not loaded or no longer matches the event`
          : item.actionIndex === -1
            ? `the condition of observer ${item.observer} failed on this event; a condition failure is kept for inspection and cannot be retried (remove it once the condition is fixed)`
            : `observer ${item.observer} has no ${item.actionType} action at index ${item.actionIndex} any more`;
      return {
        ok: false,
        error: { code: 'INVALID_ARGUMENT', errorType: 'observer_changed', message },
        attempts: [],
      };
    }
    const signal = replayOptions.signal ?? NEVER_ABORTED;
    const waits = new EventWaits(signal, shutdown.signal, fanout, {});
    try {
      // One attempt, no waiting room, nothing to keep alive: the caller waits for the answer.
      const scope = new ObserverScope(waits, observer.name, NO_CLAIM, {}, undefined, 1);
      const outcome = await runner.run(observer, action, item.actionIndex, item.event, scope);
      if (outcome.ok) {
        await claims.recordDone(
          item.event.id,
          observer.name,
          item.actionIndex,
          outcome.result.summary,
        );
        return outcome;
      }
      const { code, errorType, message } = outcome.error;
      return { ok: false, error: { code, errorType, message }, attempts: outcome.attempts };
    } catch (thrown) {
      if (signal.aborted) throw thrown;
      const { code, errorType, message } = observerErrorOf(thrown);
      return { ok: false, error: { code, errorType, message }, attempts: [] };
    } finally {
      waits.dispose();
    }
  };

  const close = async (): Promise<void> => {
    if (!shutdown.signal.aborted) {
      shutdown.abort(
        new ObserverError('CLOSED', 'observer executor closed; deliver the event later', {
          retryable: true,
          deferred: true,
          errorType: 'closed',
        }),
      );
    }
    if (inFlight > 0) {
      idle ??= new Promise<void>((resolve) => {
        markIdle = resolve;
      });
      await idle;
    }
  };

  options.dlq?.attachReplayer(replay);

  return Object.assign(handle, {
    replay,
    stats: (): ObserverExecutorStats => ({
      inFlightEvents: inFlight,
      runningActions: runner.load.running,
      waitingActions: runner.load.waiting,
      heldForPause: pauses.held,
      dedupUnavailable: claims.failures,
      breakers: runner.breakerStates(),
      waiting: rooms.counts(),
    }),
    observerHealth: (): ObserverHealth[] => rooms.health(),
    close,
    [Symbol.asyncDispose]: close,
  });
}
