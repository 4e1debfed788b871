import {
  silentLogger,
  type Delivery,
  type EventSource,
  type ServiceHealth,
  type ServiceHealthReporter,
} from '@fraiseql/core';
import { isObserverError, ObserverError } from '../errors.js';
import { computeRetryDelay, RetryPolicy } from '../execution/retry-policy.js';
import { Semaphore } from '../execution/semaphore.js';
import { noopObserverMetrics } from '../metrics/observer-metrics.js';
import {
  observerRuntimeOptionsSchema,
  type ObserverHealth,
  type ObserverRuntimeOptions,
} from './observer-runtime-options.js';
import { parseOptions } from './parse-options.js';
import type { RuntimeHealth, RuntimeState, SourceHealth } from './runtime-health.js';

/** Owns sources, handler concurrency, retries and shutdown. */
export interface ObserverRuntime {
  /**
   * Starts every source; resolves once all run.
   *
   * @throws {ObserverError} `INVALID_ARGUMENT` when already started, `CLOSED` after close; a
   *   source's start failure (the other sources are closed again).
   */
  start(): Promise<void>;
  /**
   * Stops fetching, waits up to `drainTimeout` for running handlers, aborts the rest, then closes
   * the sources (which save progress and hand unsettled events back for redelivery).
   */
  close(): Promise<void>;
  /** State, running handlers, backlog per source and the last error. */
  health(options?: { readonly signal?: AbortSignal }): Promise<RuntimeHealth>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Creates a runtime that feeds events from `sources` to `handler`, at most `concurrency` at a
 * time. A handler that resolves settles its event `done`; one that throws settles it `retry`
 * after a jittered backoff, and `dead` once `retry.maxAttempts` deliveries failed. A throw of an
 * `ObserverError` with `deferred: true` (a hand-back: open breaker, paused observer) settles
 * `retry` after its `retryAfterMs` without counting as a failed delivery.
 *
 * @throws {ObserverError} `INVALID_ARGUMENT` naming the offending option.
 * @example
 * const runtime = createObserverRuntime({
 *   sources: createChangeLogSource(db, { consumer: 'mailer' }),
 *   handler: async (event, { signal }) => sendMail(event, { signal }),
 * });
 * await runtime.start();
 */
export function createObserverRuntime(options: ObserverRuntimeOptions): ObserverRuntime {
  const {
    sources: sourceOption,
    handler,
    signal,
    logger = silentLogger,
    metrics = noopObserverMetrics,
    services: reporters = [],
    observers: observerReporter,
    ...data
  } = options;
  const config = parseOptions(observerRuntimeOptionsSchema, data, 'createObserverRuntime.options');
  const sources: readonly EventSource[] = isSourceList(sourceOption)
    ? sourceOption
    : [sourceOption];
  if (sources.length === 0) {
    throw new ObserverError(
      'INVALID_ARGUMENT',
      'createObserverRuntime.options.sources: expected at least one source',
    );
  }
  const policy = new RetryPolicy(config.retry, 'createObserverRuntime.options.retry');
  const slots = new Semaphore(config.concurrency, 'createObserverRuntime.options.concurrency');
  const fetching = new AbortController();
  const queueing = new AbortController();
  // Deliveries waiting for a slot are turned away at once when it aborts (one listener).
  queueing.signal.addEventListener(
    'abort',
    () => {
      slots.cancelWaiting(queueing.signal.reason);
    },
    { once: true },
  );
  const handlers = new AbortController();
  // Deliveries handed to the runtime and not yet settled (or given up at shutdown).
  const running = new Set<Delivery>();
  let idle: Promise<void> | undefined;
  let markIdle: (() => void) | undefined;
  let detachedCount = 0;
  let state: RuntimeState = 'idle';
  let lastError: RuntimeHealth['lastError'];
  let closing: Promise<void> | undefined;
  // Hand-backs per event id, so they do not count against `retry.maxAttempts`: the source's
  // `attempt` counts every delivery. Entries leave when the event settles done or dead.
  const deferrals = new Map<string, number>();

  const noteError = (error: unknown): void => {
    lastError = { message: error instanceof Error ? error.message : String(error), at: new Date() };
  };

  let statsTimer: NodeJS.Timeout | undefined;

  /** Every connection of the sources and reporters, one entry per name (the first wins). */
  const services = (): ServiceHealth[] => {
    const byName = new Map<string, ServiceHealth>();
    const all: readonly Partial<ServiceHealthReporter>[] = [...sources, ...reporters];
    for (const reporter of all) {
      let list: readonly ServiceHealth[];
      try {
        list = reporter.services?.() ?? [];
      } catch (error) {
        noteError(error);
        continue;
      }
      for (const health of list) if (!byName.has(health.name)) byName.set(health.name, health);
    }
    return [...byName.values()];
  };

  const reportServices = (): void => {
    if (metrics.serviceState === undefined) return;
    for (const health of services()) metrics.serviceState(health);
  };

  /** Resolves once the delivery is settled, so a source can keep it alive until then. */
  function onDelivery(delivery: Delivery): Promise<void> {
    // Shutting down: leave it unsettled, the source hands it back.
    if (queueing.signal.aborted) return Promise.resolve();
    running.add(delivery);
    const release = slots.tryAcquire();
    return release === undefined
      ? slots.acquire().then(
          (granted) => runDelivery(delivery, granted),
          // Shutting down before a slot freed up: leave it unsettled, the source hands it back.
          () => {
            finished(delivery);
          },
        )
      : runDelivery(delivery, release);
  }

  /** Runs the handler in the slot `release` gives back, then settles the delivery. */
  async function runDelivery(delivery: Delivery, release: () => void): Promise<void> {
    let failure: { error: unknown } | undefined;
    let failedFor: string | undefined;
    // An object, so the flag set inside `detach` is read as such after the handler.
    const slot = { detached: false };
    const detach = (): boolean => {
      if (slot.detached) return true;
      if (detachedCount >= config.maxDetached) return false;
      slot.detached = true;
      detachedCount += 1;
      release();
      delivery.detach?.();
      return true;
    };
    try {
      try {
        await handler(delivery.event, {
          attempt: delivery.attempt,
          signal: handlers.signal,
          heartbeat: () => delivery.heartbeat(),
          reportFailure: (errorType) => {
            failedFor ??= errorType;
          },
          detach,
        });
      } catch (error) {
        failure = { error };
      } finally {
        // The slot limits handlers, not settlement writes: sources batch those.
        release();
      }
      if (failure === undefined) await succeed(delivery, failedFor);
      else await fail(delivery, failure.error);
    } finally {
      if (slot.detached) detachedCount -= 1;
      finished(delivery);
    }
  }

  /** The delivery left the runtime (settled, or left unsettled at shutdown). */
  function finished(delivery: Delivery): void {
    running.delete(delivery);
    if (running.size === 0 && markIdle !== undefined) {
      markIdle();
      markIdle = undefined;
      idle = undefined;
    }
  }

  /** Resolves once no delivery is in the runtime's hands. */
  function whenIdle(): Promise<void> {
    if (running.size === 0) return Promise.resolve();
    idle ??= new Promise<void>((resolve) => {
      markIdle = resolve;
    });
    return idle;
  }

  /** Settles `done`; an event with a failure reported by the handler counts as failed. */
  async function succeed(delivery: Delivery, failedFor: string | undefined): Promise<void> {
    deferrals.delete(delivery.event.id);
    try {
      await delivery.settle({ status: 'done' });
      if (failedFor === undefined) metrics.eventProcessed();
      else metrics.eventFailed(failedFor);
    } catch (error) {
      noteError(error);
      logger.error(
        { eventId: delivery.event.id, err: error },
        `could not settle event ${delivery.event.id}; it will be delivered again`,
      );
    }
  }

  async function fail(delivery: Delivery, error: unknown): Promise<void> {
    const { event, attempt } = delivery;
    if (handlers.signal.aborted) {
      // Aborted by shutdown: not the event's fault, hand it back without a penalty delay.
      await delivery.settle({ status: 'retry', delayMs: 0, error }).catch(() => undefined);
      return;
    }
    if (isObserverError(error) && error.deferred) {
      await defer(delivery, error);
      return;
    }
    noteError(error);
    metrics.eventFailed(isObserverError(error) ? error.errorType : 'handler_error');
    const retryAfterMs = isObserverError(error) ? error.retryAfterMs : undefined;
    const deferred = deferrals.get(event.id) ?? 0;
    const decision = policy.next(Math.max(1, attempt - deferred), 0, {
      retryable: true,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
    try {
      if (decision.retry) {
        logger.warn(
          { eventId: event.id, attempt, delayMs: decision.delayMs, err: error },
          `handler failed for event ${event.id} (attempt ${attempt}); retrying in ${decision.delayMs}ms`,
        );
        await delivery.settle({ status: 'retry', delayMs: decision.delayMs, error });
      } else {
        logger.error(
          { eventId: event.id, attempt, reason: decision.reason, err: error },
          `handler failed for event ${event.id} (attempt ${attempt}); giving up (${decision.reason})`,
        );
        deferrals.delete(event.id);
        await delivery.settle({ status: 'dead', error });
      }
    } catch (settleError) {
      noteError(settleError);
      logger.error(
        { eventId: event.id, err: settleError },
        `could not settle failed event ${event.id}`,
      );
    }
  }

  /**
   * Settles a hand-back (`deferred` error: open breaker, paused observer, claim held elsewhere,
   * executor closed) as `retry` after its `retryAfterMs` (or the policy's first delay), without
   * using up the event's attempts. Hand-backs are not bounded: they end when the cause does,
   * and every {@link DEFERRAL_LOG_EVERY}th one of an event is logged as a warning.
   */
  async function defer(delivery: Delivery, error: ObserverError): Promise<void> {
    const { event } = delivery;
    const count = (deferrals.get(event.id) ?? 0) + 1;
    // Events handed to another instance never settle here: keep the map bounded.
    if (!deferrals.has(event.id) && deferrals.size >= MAX_TRACKED_DEFERRALS) {
      const oldest = deferrals.keys().next();
      if (oldest.done !== true) deferrals.delete(oldest.value);
    }
    deferrals.set(event.id, count);
    const delayMs = Math.max(0, Math.ceil(error.retryAfterMs ?? computeRetryDelay(policy, 1)));
    const fields = { eventId: event.id, deferrals: count, delayMs, errorType: error.errorType };
    if (count % DEFERRAL_LOG_EVERY === 0) {
      logger.warn(fields, `event ${event.id} handed back ${count} times: ${error.message}`);
    } else {
      logger.debug(fields, `event ${event.id} handed back: ${error.message}`);
    }
    try {
      await delivery.settle({ status: 'retry', delayMs, error });
    } catch (settleError) {
      noteError(settleError);
      logger.error(
        { eventId: event.id, err: settleError },
        `could not settle handed-back event ${event.id}`,
      );
    }
  }

  async function drainAndClose(): Promise<void> {
    state = 'draining';
    fetching.abort();
    queueing.abort();
    if (!(await settledWithin(whenIdle(), config.drainTimeout))) {
      logger.warn(
        { running: running.size, drainTimeoutMs: config.drainTimeout },
        'handlers still running after the drain timeout; aborting them',
      );
      handlers.abort(new ObserverError('CLOSED', 'the observer runtime is shutting down'));
      await settledWithin(whenIdle(), config.abortGrace);
    }
    const results = await Promise.allSettled(sources.map((source) => source.close()));
    for (const result of results) {
      if (result.status === 'rejected') {
        noteError(result.reason);
        logger.error({ err: result.reason }, 'a source failed to close');
      }
    }
    stopStats();
    state = 'closed';
  }

  function stopStats(): void {
    if (statsTimer === undefined) return;
    clearInterval(statsTimer);
    statsTimer = undefined;
    reportServices();
  }

  const runtime: ObserverRuntime = {
    async start(): Promise<void> {
      if (state !== 'idle') {
        throw new ObserverError(
          state === 'closed' || state === 'draining' ? 'CLOSED' : 'INVALID_ARGUMENT',
          `the observer runtime is ${state}; start() runs once`,
        );
      }
      state = 'starting';
      const started: EventSource[] = [];
      try {
        for (const source of sources) {
          await source.start({
            onDelivery,
            maxInFlight: config.concurrency + config.prefetch,
            signal: fetching.signal,
          });
          started.push(source);
        }
      } catch (error) {
        state = 'failed';
        noteError(error);
        await Promise.allSettled(started.map((source) => source.close()));
        throw error;
      }
      state = 'running';
      reportServices();
      statsTimer = setInterval(reportServices, config.statsInterval);
      statsTimer.unref();
      if (signal !== undefined) {
        if (signal.aborted) void runtime.close();
        else signal.addEventListener('abort', () => void runtime.close(), { once: true });
      }
    },

    close(): Promise<void> {
      if (state === 'idle' || state === 'failed') {
        state = 'closed';
        return Promise.allSettled(sources.map((source) => source.close())).then(() => undefined);
      }
      closing ??= drainAndClose();
      return closing;
    },

    async health(healthOptions = {}): Promise<RuntimeHealth> {
      const unanswered = new Set<string>();
      const reports: SourceHealth[] = await Promise.all(
        sources.map(async (source) => {
          if (source.backlog === undefined || state === 'closed') {
            return { kind: source.kind, lagEvents: undefined, lagSeconds: undefined };
          }
          try {
            const backlog = await source.backlog(healthOptions);
            return {
              kind: source.kind,
              lagEvents: backlog.events,
              lagSeconds: backlog.oldestAgeSeconds,
            };
          } catch (error) {
            unanswered.add(source.kind);
            noteError(error);
            return { kind: source.kind, lagEvents: undefined, lagSeconds: undefined };
          }
        }),
      );
      const serviceList = services();
      let observerList: readonly ObserverHealth[] = [];
      try {
        observerList = observerReporter?.observerHealth() ?? [];
      } catch (error) {
        noteError(error);
      }
      return {
        state,
        healthy:
          state === 'running' &&
          unanswered.size === 0 &&
          serviceList.every((service) => service.state === 'up') &&
          observerList.every((observer) => observer.state === 'ok'),
        inFlight: slots.inUse,
        queued: slots.waiting,
        detached: detachedCount,
        lagEvents: reports.reduce((sum, report) => sum + (report.lagEvents ?? 0), 0),
        lagSeconds: Math.max(0, ...reports.map((report) => report.lagSeconds ?? 0)),
        sources: reports,
        services: serviceList,
        observers: observerList,
        lastError,
      };
    },

    async [Symbol.asyncDispose](): Promise<void> {
      await runtime.close();
    },
  };
  return runtime;
}

/** Every how many hand-backs of one event a warning is logged. */
const DEFERRAL_LOG_EVERY = 10;
/** Most events whose hand-backs are remembered at once. */
const MAX_TRACKED_DEFERRALS = 100_000;

function isSourceList(
  value: EventSource | readonly EventSource[],
): value is readonly EventSource[] {
  return Array.isArray(value);
}

/** Resolves true when `done` resolved within `ms`, false on timeout. */
async function settledWithin(done: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, ms);
  });
  try {
    return await Promise.race([done.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
