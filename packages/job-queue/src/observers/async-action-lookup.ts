import { silentLogger, type Logger } from '@fraiseql/core';
import type { ActionExecutor, ActionExecutorLookup } from '@fraiseql/observers';
import type { JobQueue } from '../queue/job-queue.js';
import { dispatchJob, type QueueUnavailablePolicy } from './dispatch-job.js';
import type { JobObserverLookup } from './job-observer-lookup.js';

/** Options of {@link createAsyncActionLookup}. */
export interface AsyncActionLookupOptions {
  /** The executors of inline actions (the action registry). */
  readonly registry: ActionExecutorLookup;
  readonly queue: JobQueue;
  /** Tells which observers are `async: true` as a whole (the observers matcher fits). */
  readonly observers: JobObserverLookup;
  /** @defaultValue `'dlq'` */
  readonly onUnavailable?: QueueUnavailablePolicy | undefined;
  /** @defaultValue `silentLogger` */
  readonly logger?: Logger | undefined;
}

function isAsyncAction(config: unknown): boolean {
  return (config as { async?: unknown }).async === true;
}

/**
 * Wraps the executors the observer executor runs: an action marked `async: true` (or any
 * action of an observer marked `async: true`) is enqueued instead of run; matching, conditions,
 * retries of the enqueue itself and the failure policy stay inline. Pass the result as the
 * executor's `registry`.
 *
 * @example
 * createObserverExecutor({ matcher, registry: createAsyncActionLookup({ registry, queue, observers: matcher }) });
 */
export function createAsyncActionLookup(options: AsyncActionLookupOptions): ActionExecutorLookup {
  const deps = {
    queue: options.queue,
    onUnavailable: options.onUnavailable ?? 'dlq',
    logger: options.logger ?? silentLogger,
  } as const;
  const wrapped = new Map<string, ActionExecutor>();
  return {
    get(type) {
      const base = options.registry.get(type);
      if (base === undefined) return undefined;
      let executor = wrapped.get(type);
      if (executor === undefined) {
        // Both forms of the flag must agree here: an enqueued action never calls the endpoint,
        // so it must not wait on (or trip) the endpoint's breaker.
        const runsAsync = (config: unknown, observer: string | undefined): boolean =>
          isAsyncAction(config) ||
          (observer !== undefined && options.observers.get(observer)?.async === true);
        executor = {
          type,
          execute: (config, context) =>
            runsAsync(config, context.observer)
              ? dispatchJob(deps, type, undefined, context, () => base.execute(config, context))
              : base.execute(config, context),
          endpoint: (config, context) =>
            runsAsync(config, context?.observer) ? undefined : base.endpoint?.(config, context),
        };
        wrapped.set(type, executor);
      }
      return executor;
    },
  };
}
