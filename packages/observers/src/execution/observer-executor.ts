import {
  parseDuration,
  silentLogger,
  type DurationInput,
  type EntityEvent,
  type Logger,
} from '@fraiseql/core';
import type { DedupClaim, DedupStore } from '../dedup/dedup-store.js';
import type { DeadLetterReplayer } from '../dlq/dead-letter.js';
import type { DeadLetterQueue } from '../dlq/dead-letter-queue.js';
import { isObserverError, ObserverError } from '../errors.js';
import { noopObserverMetrics, type ObserverMetrics } from '../metrics/observer-metrics.js';
import type { ObserverHealth } from '../runtime/observer-runtime-options.js';
import type { ActionAttemptListener } from './action-attempt.js';
import { ActionRunner, type ActionScope, type WaitCause } from './action-runner.js';
import type { CircuitBreakerOptions } from './circuit-breaker.js';
import type {
  ActionExecutorLookup,
  ExecutableObserver,
  ObserverHandlerContext,
  ObserverLookup,
} from './executable-observer.js';
import { applyFailurePolicy, type ObserverAlert } from './failure-policy.js';
import { KeyedQueue } from './keyed-queue.js';
import { observerErrorOf } from './observer-error-of.js';
import { SignalFanout, type LinkedSignal } from './signal-fanout.js';

/** The signal of an event's waits, made only when something waits. */
interface WaitScope {
  readonly signal: () => AbortSignal;
  readonly throwIfStopped: () => void;
  /** Gives up the handler's runtime slot (once per event); false when the runtime refuses. */
  readonly detach: () => boolean;
  readonly dispose: () => void;
}

/** The waits of one observer: its events waiting on a breaker or a retry backoff. */
interface WaitingRoom {
  count: number;
  /** Waits per endpoint whose breaker is open. */
  readonly onBreaker: Map<string, number>;
  /** Whether the last wait was refused because the room was full. */
  full: boolean;
}

// Handlers called without a signal share one that never aborts.
const NEVER_ABORTED = new AbortController().signal;
import type { RetryPolicyConfig } from './retry-policy.js';

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
 * Creates the observer executor: for each event, runs every matched observer's actions in
 * order with the retry policy, per-attempt timeout, concurrency limits, circuit breakers,
 * optional per-entity FIFO, dedup claims and the failure policy.
 *
 * @throws {ObserverError} `INVALID_ARGUMENT` for an invalid `concurrency` or duration.
 */
export function createObserverExecutor(options: ObserverExecutorOptions): ObserverExecutor {
  const metrics = options.metrics ?? noopObserverMetrics;
  const logger = options.logger ?? silentLogger;
  const dedup = options.dedup;
  const claimTtlMs = parseDuration(options.claimTtl ?? '5m', 'claimTtl');
  const resultTtlMs = parseDuration(options.resultTtl ?? '24h', 'resultTtl');
  const heartbeatIntervalMs = Math.max(
    1,
    parseDuration(options.heartbeatInterval ?? '10s', 'heartbeatInterval'),
  );
  const maxPauseWaitMs = parseDuration(options.maxPauseWait ?? '5m', 'maxPauseWait');
  const maxWaiting = options.maxWaitingPerObserver ?? 128;
  if (!Number.isInteger(maxWaiting) || maxWaiting < 0) {
    throw new ObserverError(
      'INVALID_ARGUMENT',
      `maxWaitingPerObserver: expected an integer >= 0, got ${JSON.stringify(maxWaiting)}`,
    );
  }
  const rooms = new Map<string, WaitingRoom>();
  const reportWaiting = (name: string, count: number): void => {
    metrics.observerWaiting?.(name, count);
  };
  /** Enters `name`'s waiting room; undefined when it is full or the slot cannot be given up. */
  const enterWaitingRoom = (
    name: string,
    cause: WaitCause,
    waits: WaitScope,
  ): (() => void) | undefined => {
    let room = rooms.get(name);
    if (room === undefined) {
      room = { count: 0, onBreaker: new Map(), full: false };
      rooms.set(name, room);
    }
    if (room.count >= maxWaiting || !waits.detach()) {
      room.full = true;
      if (room.count === 0) rooms.delete(name);
      return undefined;
    }
    const entered = room;
    entered.full = false;
    entered.count += 1;
    const endpoint = cause.kind === 'breaker' ? cause.endpoint : undefined;
    if (endpoint !== undefined) {
      entered.onBreaker.set(endpoint, (entered.onBreaker.get(endpoint) ?? 0) + 1);
    }
    reportWaiting(name, entered.count);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      entered.count -= 1;
      if (endpoint !== undefined) {
        const n = (entered.onBreaker.get(endpoint) ?? 1) - 1;
        if (n > 0) entered.onBreaker.set(endpoint, n);
        else entered.onBreaker.delete(endpoint);
      }
      if (entered.count === 0 && rooms.get(name) === entered) rooms.delete(name);
      reportWaiting(name, entered.count);
    };
  };
  const fanout = new SignalFanout();
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
    fanout,
    onAttempt: options.onAttempt,
  });
  const failureDeps = { dlq: options.dlq, logger, metrics, onAlert: options.onAlert };
  const entityQueue = new KeyedQueue();
  const shutdown = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  const waitScope = (signal: AbortSignal, context: ObserverHandlerContext = {}): WaitScope => {
    let link: LinkedSignal | undefined;
    let detached = false;
    return {
      signal: () => (link ??= fanout.link([signal, shutdown.signal])).signal,
      throwIfStopped: () => {
        signal.throwIfAborted();
        shutdown.signal.throwIfAborted();
      },
      detach: () => {
        if (detached || context.detach === undefined) return true;
        detached = context.detach();
        return detached;
      },
      dispose: () => link?.dispose(),
    };
  };
  let dedupFailures = 0;
  let held = 0;
  let dedupDown = false;

  const dedupFailed = (error: unknown, operation: string): void => {
    dedupFailures += 1;
    metrics.dedupUnavailable?.();
    if (!dedupDown) {
      dedupDown = true;
      logger.warn(
        { err: error, operation, store: dedup?.kind },
        'dedup store unavailable; processing without dedup (at-least-once)',
      );
    }
  };
  const dedupOk = (): void => {
    if (dedupDown) {
      dedupDown = false;
      logger.info({ store: dedup?.kind }, 'dedup store available again');
    }
  };

  /** Runs one observer for one event; throws when the event must be delivered again. */
  const runObserver = async (
    observer: ExecutableObserver,
    event: EntityEvent,
    context: ObserverHandlerContext,
    signal: AbortSignal,
    waits: WaitScope,
  ): Promise<void> => {
    const key = `${event.id}:${observer.name}`;
    let claim: DedupClaim | undefined;
    if (dedup !== undefined) {
      try {
        claim = await dedup.claim(key, claimTtlMs);
        dedupOk();
      } catch (error) {
        dedupFailed(error, 'claim');
      }
    }
    const completed = claim?.completed ?? new Map<number, string>();
    const allDone = observer.actions.every((_, index) => completed.has(index));
    if (completed.size > 0) metrics.dedupDetected();
    if (claim !== undefined && !claim.claimed) {
      if (completed.size === 0) metrics.dedupDetected();
      if (!allDone) {
        throw new ObserverError(
          'DUPLICATE_IN_PROGRESS',
          `event ${event.id} is being processed for observer ${observer.name} elsewhere; deliver it later`,
          {
            retryable: true,
            deferred: true,
            retryAfterMs: claimTtlMs,
            errorType: 'duplicate_in_progress',
          },
        );
      }
    }
    const token = claim?.claimed === true ? claim.token : undefined;
    const scope: ActionScope = {
      signal,
      waitSignal: waits.signal,
      throwIfStopped: waits.throwIfStopped,
      wait: (cause) => enterWaitingRoom(observer.name, cause, waits),
      keepAlive: async () => {
        await context.heartbeat?.();
        if (token !== undefined && dedup !== undefined) {
          await dedup.extend(key, token, claimTtlMs).catch((error: unknown) => {
            dedupFailed(error, 'extend');
          });
        }
      },
    };
    let skipped = false;
    try {
      for (const [index, action] of observer.actions.entries()) {
        if (completed.has(index)) {
          metrics.cacheHit();
          skipped = true;
          continue;
        }
        if (dedup !== undefined) metrics.cacheMiss();
        const outcome = await runner.run(observer, action, index, event, scope);
        if (outcome.ok) {
          if (token !== undefined && dedup !== undefined) {
            await dedup
              .complete(key, index, outcome.result.summary, resultTtlMs)
              .catch((error: unknown) => {
                dedupFailed(error, 'complete');
              });
          }
          continue;
        }
        const deadLettered = await applyFailurePolicy(
          observer.onFailure ?? 'dlq',
          {
            observer: observer.name,
            actionIndex: index,
            actionType: action.type,
            event,
            error: outcome.error,
            reason: outcome.reason,
            attempts: outcome.attempts,
          },
          failureDeps,
        );
        if (!deadLettered) context.reportFailure?.(outcome.error.errorType);
      }
    } finally {
      if (skipped) metrics.dedupProcessingSkipped();
      if (token !== undefined && dedup !== undefined) {
        // The claim only guards processing: finished actions are in the done records, and a
        // failed action must be free to run again on redelivery or retry.
        await dedup.release(key, token).catch((error: unknown) => {
          dedupFailed(error, 'release');
        });
      }
    }
  };

  /** Sends an event whose condition failed for this observer to that observer's failure policy. */
  const conditionFailure = async (
    observer: ExecutableObserver,
    event: EntityEvent,
    error: ObserverError,
    context: ObserverHandlerContext,
  ): Promise<void> => {
    metrics.actionFailed('condition', error.errorType, 0);
    const deadLettered = await applyFailurePolicy(
      observer.onFailure ?? 'dlq',
      {
        observer: observer.name,
        actionIndex: -1,
        actionType: 'condition',
        event,
        error,
        reason: 'permanent',
        attempts: [
          {
            attempt: 1,
            at: new Date().toISOString(),
            durationMs: 0,
            errorCode: error.code,
            errorType: error.errorType,
            error: error.message,
          },
        ],
      },
      failureDeps,
    );
    if (!deadLettered) context.reportFailure?.(error.errorType);
  };

  /**
   * Holds an event for a paused observer until it runs again (resolves `'running'`), or is
   * disabled or removed (the event is dropped for it: disabling drops, pausing holds). Keeps
   * the delivery alive meanwhile and holds no action slot; throws a deferred
   * `OBSERVER_PAUSED` after `maxPauseWait` so the source redelivers the event later.
   */
  const holdWhilePaused = async (
    name: string,
    event: EntityEvent,
    context: ObserverHandlerContext,
    waits: WaitScope,
    whenRunning: NonNullable<ObserverLookup['whenRunning']>,
  ): Promise<'running' | 'disabled' | 'removed'> => {
    waits.throwIfStopped();
    const link = fanout.link([waits.signal()]);
    const timer = setTimeout(() => {
      link.abort(
        new ObserverError(
          'OBSERVER_PAUSED',
          `observer ${name} stayed paused for ${maxPauseWaitMs}ms; event ${event.id} is handed back for redelivery`,
          { retryable: true, deferred: true, retryAfterMs: maxPauseWaitMs, errorType: 'paused' },
        ),
      );
    }, maxPauseWaitMs);
    const beat = setInterval(() => {
      context.heartbeat?.().catch((error: unknown) => {
        logger.warn({ err: error, eventId: event.id, observer: name }, 'heartbeat failed');
      });
    }, heartbeatIntervalMs);
    held += 1;
    logger.debug({ eventId: event.id, observer: name }, 'observer paused; holding the event');
    try {
      return await whenRunning(name, { signal: link.signal });
    } finally {
      held -= 1;
      clearTimeout(timer);
      clearInterval(beat);
      link.dispose();
    }
  };

  const handle = async (
    event: EntityEvent,
    context: ObserverHandlerContext = {},
  ): Promise<void> => {
    if (shutdown.signal.aborted) {
      throw new ObserverError('CLOSED', 'observer executor is closed; deliver the event later', {
        retryable: true,
        deferred: true,
        errorType: 'closed',
      });
    }
    const { matcher } = options;
    const holds = matcher.matchAll !== undefined && matcher.whenRunning !== undefined;
    const observers = holds ? (matcher.matchAll?.(event) ?? []) : matcher.match(event);
    const whenRunning = holds
      ? (name: string, opts: { signal?: AbortSignal }) =>
          matcher.whenRunning?.(name, opts) ?? Promise.resolve('running' as const)
      : undefined;
    // `signal` stops everything (the runtime gave up on the handler); waits also stop on close.
    const signal = context.signal ?? NEVER_ABORTED;
    const waits = waitScope(signal, context);
    // Per-entity observers take their place in line now, before any await, so the call order
    // of the handler is the order in which their events run.
    const runs = observers.map((observer) => {
      const run = async (): Promise<void> => {
        if (
          'state' in observer &&
          observer.state === 'paused' &&
          whenRunning !== undefined &&
          (await holdWhilePaused(observer.name, event, context, waits, whenRunning)) !== 'running'
        ) {
          return;
        }
        if (observer.matchError !== undefined) {
          await conditionFailure(observer, event, observer.matchError, context);
          return;
        }
        await runObserver(observer, event, context, signal, waits);
      };
      return observer.ordering === 'per-entity'
        ? entityQueue.run(`${observer.name}\u0000${event.entityType}\u0000${event.entityId}`, run)
        : run();
    });
    const settled = await Promise.allSettled(runs);
    waits.dispose();
    // Event counts (processed / failed) are the runtime's: it sees every settlement.
    // A real failure outranks a hand-back: it must count against the event's retry budget.
    const rejected = settled.filter((result) => result.status === 'rejected');
    const failed =
      rejected.find((result) => !isObserverError(result.reason) || !result.reason.deferred) ??
      rejected[0];
    if (failed !== undefined) throw failed.reason;
  };

  const tracked = (event: EntityEvent, context?: ObserverHandlerContext): Promise<void> => {
    const promise = handle(event, context);
    inFlight.add(promise);
    void promise.then(
      () => inFlight.delete(promise),
      () => inFlight.delete(promise),
    );
    return promise;
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
    const waits = waitScope(signal);
    try {
      const outcome = await runner.run(observer, action, item.actionIndex, item.event, {
        signal,
        waitSignal: waits.signal,
        throwIfStopped: waits.throwIfStopped,
        keepAlive: () => Promise.resolve(),
        maxAttempts: 1,
      });
      if (outcome.ok && dedup !== undefined) {
        await dedup
          .complete(
            `${item.event.id}:${observer.name}`,
            item.actionIndex,
            outcome.result.summary,
            resultTtlMs,
          )
          .catch((error: unknown) => {
            dedupFailed(error, 'complete');
          });
      }
      if (outcome.ok) return outcome;
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
    await Promise.allSettled([...inFlight]);
  };

  options.dlq?.attachReplayer(replay);

  return Object.assign(tracked, {
    replay,
    stats: (): ObserverExecutorStats => ({
      inFlightEvents: inFlight.size,
      runningActions: runner.load.running,
      waitingActions: runner.load.waiting,
      heldForPause: held,
      dedupUnavailable: dedupFailures,
      breakers: runner.breakerStates(),
      waiting: Object.fromEntries([...rooms].map(([name, room]) => [name, room.count])),
    }),
    observerHealth: (): ObserverHealth[] =>
      [...rooms].map(([name, room]) => ({
        name,
        state: room.onBreaker.size > 0 || room.full ? ('degraded' as const) : ('ok' as const),
        waiting: room.count,
        openEndpoints: [...room.onBreaker.keys()],
      })),
    close,
    [Symbol.asyncDispose]: close,
  });
}
