import { eventFromJson, parseDuration, type EntityEvent, type Logger } from '@fraiseql/core';
import {
  isObserverError,
  ObserverError,
  RetryPolicy,
  type ActionContext,
  type ActionResult,
  type AnyActionConfig,
  type RetryPolicyConfig,
} from '@fraiseql/observers';
import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { DeadLetterReason, DeadLetterStore } from '../dlq/dead-letter-store.js';
import type { JobAttempt, JobAttemptError, JobData } from '../jobs/job-data.js';
import { RETRY_DELAY } from '../jobs/job-defaults.js';
import type { JobQueueMetrics } from '../metrics/job-queue-metrics.js';
import type { JobObserverLookup } from '../observers/job-observer-lookup.js';
import { innerAction } from '../observers/inner-action.js';
import { AttemptDeadlines } from './attempt-deadlines.js';

/** Errors the processor threw after writing the job's dead letter itself. */
const deadLetteredHere = new WeakSet<Error>();

/** The `UnrecoverableError` the processor throws once it has dead-lettered the job. */
function deadLettered(message: string): UnrecoverableError {
  const error = new UnrecoverableError(message);
  deadLetteredHere.add(error);
  return error;
}

/**
 * Whether a failed job's error says the processor already wrote its dead letter. The worker's
 * `failed` listener must not write it again: an operator may have removed it in between.
 */
export function wasDeadLetteredByProcessor(error: Error): boolean {
  return deadLetteredHere.has(error);
}

/** The slice of an action registry a worker calls (`ActionRegistry` fits). */
export interface JobActionRegistry {
  execute(config: AnyActionConfig, context: ActionContext): Promise<ActionResult>;
}

/** What the processor of one queue needs. */
export interface JobProcessorDeps {
  readonly queue: string;
  readonly registry: JobActionRegistry;
  readonly observers: JobObserverLookup;
  readonly deadLetters: () => Promise<DeadLetterStore>;
  readonly metrics: JobQueueMetrics;
  readonly logger: Logger;
  readonly defaultRetry: RetryPolicyConfig | undefined;
  readonly actionTimeoutMs: number;
  /** Aborted when in-flight jobs must be handed back (shutdown deadline passed). */
  readonly shutdown: AbortSignal;
  readonly dlqRetentionMs: number | undefined;
  readonly random: () => number;
  /**
   * Times a job may lose its worker (stall) and still run again; one more and it is
   * dead-lettered with reason `stalled`.
   */
  readonly maxStalledCount: number;
}

/** What a finished job stores as its return value. */
export interface JobResult {
  readonly summary: string;
  readonly attempt: number;
}

type Resolved =
  | {
      readonly ok: true;
      readonly action: AnyActionConfig;
      readonly policy: RetryPolicy;
      readonly timeoutMs: number;
    }
  | { readonly ok: false; readonly error: ObserverError };

function resolve(data: JobData, deps: JobProcessorDeps, settingsCache: SettingsCache): Resolved {
  const observer = deps.observers.get(data.observer);
  const configured = observer?.actions[data.actionIndex];
  if (observer === undefined || configured?.type !== data.actionType) {
    const message =
      observer === undefined
        ? `observer ${data.observer} is not in this worker's config`
        : `observer ${data.observer} has no ${data.actionType} action at index ${String(data.actionIndex)}`;
    return {
      ok: false,
      error: new ObserverError('INVALID_ARGUMENT', message, { errorType: 'observer_changed' }),
    };
  }
  const cached = settingsCache.get(configured);
  if (cached !== undefined && cached.observerRetry === observer.retry) return cached.resolved;
  const action = innerAction(configured);
  const own = action as { retry?: RetryPolicyConfig; timeout?: unknown };
  const retry =
    own.retry ??
    (configured as { retry?: RetryPolicyConfig }).retry ??
    observer.retry ??
    deps.defaultRetry;
  const timeout = own.timeout;
  const timeoutMs =
    typeof timeout === 'number' || typeof timeout === 'string'
      ? parseDuration(
          timeout,
          `observers.${data.observer}.actions[${String(data.actionIndex)}].timeout`,
        )
      : deps.actionTimeoutMs;
  const resolved: Resolved = { ok: true, action, policy: new RetryPolicy(retry ?? {}), timeoutMs };
  settingsCache.set(configured, { observerRetry: observer.retry, resolved });
  return resolved;
}

/** Parsed settings per action config object (a reloaded config brings new objects). */
type SettingsCache = WeakMap<
  object,
  { readonly observerRetry: RetryPolicyConfig | undefined; readonly resolved: Resolved }
>;

function attemptError(error: ObserverError): JobAttemptError {
  return {
    code: error.code,
    errorType: error.errorType,
    message: error.message,
    retryable: error.retryable,
  };
}

function toObserverError(thrown: unknown, signal: AbortSignal): ObserverError {
  if (isObserverError(thrown)) return thrown;
  const reason: unknown = signal.reason;
  if (signal.aborted && reason instanceof Error && reason.name === 'TimeoutError') {
    return new ObserverError('ACTION_TIMEOUT', 'job timed out', {
      cause: thrown,
      retryable: true,
      errorType: 'timeout',
    });
  }
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new ObserverError('ACTION_FAILED', message, {
    cause: thrown,
    retryable: true,
    errorType: 'unknown',
  });
}

/**
 * The BullMQ processor of one queue: runs one attempt of the referenced action with the
 * registry's executors; on failure records the attempt, then either throws a retryable error
 * carrying the policy's delay, or dead-letters the job and throws `UnrecoverableError`. When
 * `shutdown` aborts mid-attempt the job goes back to waiting without using up an attempt.
 */
export function createJobProcessor(deps: JobProcessorDeps) {
  const settingsCache: SettingsCache = new WeakMap();
  const deadlines = new AttemptDeadlines(deps.shutdown);
  return async (job: Job<JobData>, token?: string): Promise<JobResult> => {
    const data = job.data;
    const attempt = data.attempts.length + 1;
    const startedAt = Date.now();
    if (job.stalledCounter > deps.maxStalledCount) {
      // Its workers died (or lost the lock) with it more often than allowed: a job that kills
      // its worker must not loop forever, nor vanish into BullMQ's failed set.
      const error = new ObserverError(
        'ACTION_FAILED',
        `job stalled ${String(job.stalledCounter)} times (maxStalledCount ${String(deps.maxStalledCount)}): its worker died or lost the lock while running it`,
        { errorType: 'stalled', retryable: false },
      );
      await deadLetter(job, data, error, 'stalled', data.attempts);
      throw deadLettered(error.message);
    }
    const resolved = resolve(data, deps, settingsCache);
    if (!resolved.ok) {
      await deadLetter(job, data, resolved.error, 'observer-changed', []);
      throw deadLettered(resolved.error.message);
    }
    let event: EntityEvent;
    try {
      event = eventFromJson(data.event);
    } catch (thrown) {
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      const error = new ObserverError('MALFORMED_EVENT', `job ${job.id ?? ''}: ${message}`, {
        cause: thrown,
        errorType: 'malformed_event',
      });
      await deadLetter(job, data, error, 'permanent', []);
      throw deadLettered(error.message);
    }
    // Attempts starting together share one deadline signal (see AttemptDeadlines).
    const deadline = deadlines.acquire(resolved.timeoutMs);
    const signal = deadline.signal;
    const context: ActionContext = {
      event,
      observer: data.observer,
      actionIndex: data.actionIndex,
      attempt,
      signal,
      logger: deps.logger,
    };
    try {
      const result = await deps.registry.execute(resolved.action, context);
      deps.metrics.jobExecuted(deps.queue, data.actionType, (Date.now() - startedAt) / 1000);
      return { summary: result.summary, attempt };
    } catch (thrown) {
      if (deps.shutdown.aborted) {
        // Handed back, not failed: another worker (or this one after restart) runs it again.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      const error = toObserverError(thrown, signal);
      const durationMs = Date.now() - startedAt;
      deps.metrics.jobFailed(deps.queue, data.actionType, error.errorType, durationMs / 1000);
      const record: JobAttempt = { attempt, startedAt, durationMs, error: attemptError(error) };
      const attempts = [...data.attempts, record];
      const firstAt = attempts[0]?.startedAt ?? startedAt;
      const decision = resolved.policy.next(attempt, startedAt - firstAt, error, deps.random);
      if (!decision.retry) {
        await deadLetter(job, data, error, decision.reason, attempts);
        throw deadLettered(`${error.errorType}: ${error.message}`);
      }
      await job.updateData({ ...data, attempts });
      deps.metrics.jobRetried(deps.queue, data.actionType);
      deps.logger.info(
        { jobId: job.id, attempt, delayMs: decision.delayMs, errorType: error.errorType },
        'job failed; retrying',
      );
      throw Object.assign(new Error(`${error.errorType}: ${error.message}`, { cause: error }), {
        [RETRY_DELAY]: decision.delayMs,
      });
    } finally {
      deadline.release();
    }
  };

  async function deadLetter(
    job: Job<JobData>,
    data: JobData,
    error: ObserverError,
    reason: DeadLetterReason,
    attempts: readonly JobAttempt[],
  ): Promise<void> {
    const store = await deps.deadLetters();
    const deadAt = Date.now();
    await store.add({
      jobId: job.id ?? '',
      queue: deps.queue,
      reason,
      error: attemptError(error),
      data: { ...data, attempts },
      deadAt,
    });
    if (deps.dlqRetentionMs !== undefined) {
      const old = await store.idsUpTo(deps.queue, deadAt - deps.dlqRetentionMs, 1000);
      await store.remove(deps.queue, old);
    }
    deps.metrics.dlqItems(deps.queue, await store.count(deps.queue));
    deps.logger.warn(
      { jobId: job.id, reason, errorType: error.errorType, attempts: attempts.length },
      'job dead-lettered',
    );
  }
}
