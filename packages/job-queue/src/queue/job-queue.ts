import {
  eventToJson,
  ServiceHealthTracker,
  silentLogger,
  type EntityEvent,
  type Logger,
  type ServiceHealth,
  type ServiceHealthReporter,
} from '@fraiseql/core';
import { Queue, type JobsOptions } from 'bullmq';
import { DeadLetterStore } from '../dlq/dead-letter-store.js';
import { JobQueueError, redisFailure } from '../errors.js';
import type { JobData } from '../jobs/job-data.js';
import { BACKOFF_TYPE, UNBOUNDED_ATTEMPTS } from '../jobs/job-defaults.js';
import { jobIdOf } from '../jobs/job-id.js';
import { noopJobQueueMetrics } from '../metrics/job-queue-metrics.js';
import { guardBullConnections } from '../redis/guard-bull-connections.js';
import { closeRedis, openRedis } from '../redis/open-redis.js';
import {
  DEFAULT_REDIS_URL,
  redisConnectionOptions,
  redisTarget,
} from '../redis/redis-connection.js';
import { trackRedisClient } from '../redis/redis-health.js';
import { Redis } from 'ioredis';
import { defineEnqueueCommand, enqueueAll, enqueueOne } from './enqueue-script.js';
import { QUEUE_NAME, type JobQueueConfig, type JobQueueOptions } from './job-queue-options.js';
import { parseJobQueueConfig } from './parse-job-queue-config.js';

/** The work one job does: action `actionIndex` of `observer` for `event`. */
export interface NewJob {
  readonly event: EntityEvent;
  readonly observer: string;
  readonly actionIndex: number;
  /** Type of the referenced action (`webhook`, `email`, ...). */
  readonly actionType: string;
  /** @defaultValue the queue's `defaultQueue` */
  readonly queue?: string | undefined;
}

/**
 * What an enqueue did with a job id:
 *
 * - `enqueued`: this call added the job, which is waiting to run (the outcome check and the
 *   add are one atomic step, so of concurrent enqueues of one id exactly one gets `enqueued`);
 * - `duplicate-pending`: a job with this id is waiting, delayed, running or retrying: nothing
 *   added;
 * - `duplicate-finished`: a job with this id finished (succeeded) less than `keepFinished`
 *   ago: nothing added;
 * - `dead-lettered`: a job with this id is in the dead-letter queue: nothing added (replay the
 *   dead letter, or purge it, to run the work again).
 */
export type EnqueueOutcome =
  'enqueued' | 'duplicate-pending' | 'duplicate-finished' | 'dead-lettered';

/** Where an enqueued job went, and what the enqueue did. */
export interface EnqueuedJob {
  readonly jobId: string;
  readonly queue: string;
  readonly outcome: EnqueueOutcome;
}

/** Producer side of the job queue: idempotent enqueue onto named BullMQ queues. */
export interface JobQueue extends AsyncDisposable, ServiceHealthReporter {
  /** Validated settings (durations in milliseconds). */
  readonly config: JobQueueConfig & { readonly redisUrl: string };
  /**
   * Adds a job with id `{eventId}:{observer}:{actionIndex}`, unless a job with that id is
   * pending, finished less than `keepFinished` ago, or dead-lettered; `outcome` says which. A
   * job that finished longer ago than `keepFinished` is replaced by the new one.
   *
   * @throws {JobQueueError} `REDIS_UNAVAILABLE` when Redis does not answer within
   * `enqueueTimeout`, `INVALID_ARGUMENT` for a bad queue name, `CLOSED` after `close()`.
   */
  enqueue(job: NewJob, options?: { signal?: AbortSignal }): Promise<EnqueuedJob>;
  /**
   * Adds many jobs in one round trip (same idempotence as `enqueue`; a job id repeated in
   * `jobs` is a duplicate of its first occurrence).
   *
   * @throws {JobQueueError} like {@link JobQueue.enqueue}.
   */
  enqueueMany(jobs: readonly NewJob[], options?: { signal?: AbortSignal }): Promise<EnqueuedJob[]>;
  /** The BullMQ queue behind `name` (created on first use; owned by this object). */
  bullQueue(name: string): Queue<JobData>;
  /** The dead-letter store (on a connection of its own, opened on first use). */
  deadLetters(): Promise<DeadLetterStore>;
  /**
   * The producer's Redis connection as one entry named `redis`: `down` until first used (it
   * connects on the first enqueue), `reconnecting` while Redis is lost (enqueues fail fast with
   * `REDIS_UNAVAILABLE` meanwhile), `up` once it answers again.
   */
  services(): readonly ServiceHealth[];
  /** Closes every queue connection. */
  close(): Promise<void>;
}

/** The BullMQ options of a new job. */
export function jobOptions(
  jobId: string,
  config: JobQueueConfig,
): JobsOptions & { readonly jobId: string } {
  const age = Math.max(1, Math.ceil(config.keepFinished / 1000));
  return {
    jobId,
    attempts: UNBOUNDED_ATTEMPTS,
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: { age },
    removeOnFail: { age },
  };
}

/**
 * Creates the producer side of the job queue.
 *
 * @throws {JobQueueError} `INVALID_ARGUMENT` for invalid options.
 * @example
 * await using queue = createJobQueue({ redisUrl: 'redis://127.0.0.1:6379' });
 * await queue.enqueue({ event, observer: 'orders', actionIndex: 0, actionType: 'webhook' });
 */
export function createJobQueue(options: JobQueueOptions = {}): JobQueue {
  const { metrics: m, logger: l, env: e, ...data } = options;
  const metrics = m ?? noopJobQueueMetrics;
  const logger: Logger = l ?? silentLogger;
  const env = e ?? process.env;
  const parsed = parseJobQueueConfig(data);
  const config = { ...parsed, redisUrl: parsed.redisUrl ?? env.REDIS_URL ?? DEFAULT_REDIS_URL };
  const connection = redisConnectionOptions(config.redisUrl, 'producer');
  const queues = new Map<string, Queue<JobData>>();
  let store: Promise<DeadLetterStore> | undefined;
  // One client shared by every queue of this producer (BullMQ leaves shared clients open; this
  // object quits it on close).
  let producer: Redis | undefined;
  const health = new ServiceHealthTracker({
    name: 'redis',
    kind: 'redis',
    target: redisTarget(connection),
  });
  health.onChange((snapshot) => {
    metrics.serviceState?.(snapshot);
  });
  metrics.serviceState?.(health.snapshot());
  const onConnectionError = (error: unknown): void => {
    health.error(error);
    logger.debug({ err: error }, 'job queue: Redis connection error');
  };
  const newProducer = (): Redis => {
    const client = new Redis(connection);
    defineEnqueueCommand(client);
    client.on('error', onConnectionError);
    trackRedisClient(client, health, logger, 'job queue');
    return client;
  };
  let storeClient: Promise<Redis> | undefined;
  let closed = false;

  const bullQueue = (name: string): Queue<JobData> => {
    if (closed) throw new JobQueueError('CLOSED', 'the job queue is closed');
    if (!QUEUE_NAME.test(name)) {
      throw new JobQueueError('INVALID_ARGUMENT', `queue: invalid name ${JSON.stringify(name)}`);
    }
    let queue = queues.get(name);
    if (queue === undefined) {
      queue = new Queue<JobData>(name, {
        connection: (producer ??= newProducer()),
        prefix: config.prefix,
        skipVersionCheck: true,
      });
      guardBullConnections(queue, onConnectionError);
      queue.on('error', onConnectionError);
      queues.set(name, queue);
    }
    return queue;
  };

  const withDeadline = async <T>(
    work: Promise<T>,
    doing: string,
    signal?: AbortSignal,
  ): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`no answer within ${String(config.enqueueTimeout)} ms`));
      }, config.enqueueTimeout);
      onAbort = () => {
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      signal?.throwIfAborted();
      return await Promise.race([work, deadline]);
    } catch (error) {
      if (signal?.aborted === true) throw error;
      throw redisFailure(error, doing);
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      // A late rejection of the losing side must not surface as unhandled.
      work.catch(() => undefined);
    }
  };

  const payload = (
    job: NewJob,
  ): {
    name: string;
    data: JobData;
    opts: JobsOptions & { readonly jobId: string };
    queue: string;
  } => {
    const jobId = jobIdOf(job.event.id, job.observer, job.actionIndex);
    return {
      queue: job.queue ?? config.defaultQueue,
      name: job.actionType,
      data: {
        event: eventToJson(job.event),
        observer: job.observer,
        actionIndex: job.actionIndex,
        actionType: job.actionType,
        enqueuedAt: Date.now(),
        attempts: [],
      },
      opts: jobOptions(jobId, config),
    };
  };

  type Item = ReturnType<typeof payload>;

  /**
   * One round trip: for every item, one script decides the outcome (dead-lettered, pending,
   * finished within `keepFinished`) and adds the job when none applies, atomically, after
   * removing a copy that finished longer ago (BullMQ itself only trims finished jobs when
   * another job of the queue finishes). Items run in order, so a repeated id in one call is a
   * duplicate of the first.
   */
  const place = async (items: readonly Item[]): Promise<EnqueuedJob[]> => {
    const first = items[0];
    if (first === undefined) return [];
    // Waits for the shared producer connection to be ready (it queues no command offline).
    await bullQueue(first.queue).waitUntilReady();
    const client = (producer ??= newProducer());
    const settings = {
      prefix: config.prefix,
      keepFinishedMs: config.keepFinished,
      now: Date.now(),
    };
    const outcomes =
      items.length === 1
        ? [await enqueueOne(client, { ...first, queue: bullQueue(first.queue) }, settings)]
        : await enqueueAll(
            client,
            items.map((item) => ({ ...item, queue: bullQueue(item.queue) })),
            settings,
          );
    return items.map((item, index) => {
      const outcome = outcomes[index] ?? 'enqueued';
      if (outcome === 'enqueued') metrics.jobQueued(item.queue, item.name);
      return { jobId: item.opts.jobId, queue: item.queue, outcome };
    });
  };

  const enqueueMany = async (
    jobs: readonly NewJob[],
    opts: { signal?: AbortSignal } = {},
  ): Promise<EnqueuedJob[]> => {
    const items = jobs.map(payload);
    for (const item of items) bullQueue(item.queue);
    if (items.length === 0) return [];
    return withDeadline(place(items), `enqueue ${String(jobs.length)} job(s)`, opts.signal);
  };

  const enqueue = async (
    job: NewJob,
    opts: { signal?: AbortSignal } = {},
  ): Promise<EnqueuedJob> => {
    const item = payload(job);
    bullQueue(item.queue);
    const [placed] = await withDeadline(place([item]), `enqueue ${item.opts.jobId}`, opts.signal);
    if (placed === undefined) throw new JobQueueError('ENQUEUE_FAILED', 'enqueue placed nothing');
    return placed;
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await Promise.allSettled([
      ...[...queues.values()].map((queue) => queue.close()),
      storeClient?.then(closeRedis),
    ]);
    producer?.disconnect();
    health.closed();
  };

  return {
    config,
    enqueue,
    enqueueMany,
    bullQueue,
    deadLetters: () =>
      (store ??= (storeClient = openRedis(config.redisUrl, 'producer')).then(
        (client) => new DeadLetterStore(client, config.prefix),
        (error: unknown) => {
          store = undefined;
          throw error;
        },
      )),
    services: () => [health.snapshot()],
    close,
    [Symbol.asyncDispose]: close,
  };
}
