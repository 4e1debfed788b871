import {
  parseDuration,
  ServiceHealthTracker,
  silentLogger,
  type DurationInput,
  type Logger,
  type ServiceHealth,
  type ServiceHealthReporter,
} from '@fraiseql/core';
import type { RetryPolicyConfig } from '@fraiseql/observers';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { closeRedis, openRedis } from '../redis/open-redis.js';
import { DeadLetterStore } from '../dlq/dead-letter-store.js';
import { JobQueueError, redisFailure } from '../errors.js';
import type { JobData } from '../jobs/job-data.js';
import { BACKOFF_TYPE, RETRY_DELAY } from '../jobs/job-defaults.js';
import { noopJobQueueMetrics, type JobQueueMetrics } from '../metrics/job-queue-metrics.js';
import type { JobObserverLookup } from '../observers/job-observer-lookup.js';
import type { JobQueueConfigInput } from '../queue/job-queue-options.js';
import { QUEUE_NAME } from '../queue/job-queue-options.js';
import { parseJobQueueConfig } from '../queue/parse-job-queue-config.js';
import {
  dropBullConnections,
  guardBullConnections,
  stopBullWorkerTimers,
} from '../redis/guard-bull-connections.js';
import {
  assertNoEviction,
  DEFAULT_REDIS_URL,
  redisConnectionOptions,
  redisTarget,
} from '../redis/redis-connection.js';
import { trackRedisClient } from '../redis/redis-health.js';
import {
  createJobProcessor,
  wasDeadLetteredByProcessor,
  type JobActionRegistry,
  type JobResult,
} from './job-processor.js';

/** Options of {@link createJobWorker}. */
export interface JobWorkerOptions extends JobQueueConfigInput {
  /** Runs the actions (the observers action registry). */
  readonly registry: JobActionRegistry;
  /** Resolves the action a job references (the observers matcher, or `observerLookupFromConfig`). */
  readonly observers: JobObserverLookup;
  /** @defaultValue the `defaultQueue` */
  readonly queue?: string | undefined;
  /** Jobs run at once by this worker. @defaultValue `10` */
  readonly concurrency?: number | undefined;
  /** At most `max` jobs per `duration` on this queue, across all its workers. */
  readonly rateLimit?: { readonly max: number; readonly duration: DurationInput };
  /** Retry policy of observers and actions that set none. @defaultValue the observers default */
  readonly retry?: RetryPolicyConfig | undefined;
  /** Per-attempt timeout of actions without their own. @defaultValue `'30s'` */
  readonly actionTimeout?: DurationInput | undefined;
  /** How long `close()` lets running jobs finish before handing them back. @defaultValue `'30s'` */
  readonly shutdownTimeout?: DurationInput | undefined;
  /** Lock of a running job; a worker that dies loses it after this long. @defaultValue `'30s'` */
  readonly lockDuration?: DurationInput | undefined;
  /** How often jobs with lost locks are looked for and returned to waiting. @defaultValue `'30s'` */
  readonly stalledInterval?: DurationInput | undefined;
  /**
   * Times a job may stall (its worker died or lost the lock mid-job) and still run again; the
   * next stall dead-letters it with reason `stalled`, so a job that kills its worker cannot loop.
   * @defaultValue `1`
   */
  readonly maxStalledCount?: number | undefined;
  /** Queue-depth and DLQ gauges sampling interval, or `false`. @defaultValue `'15s'` */
  readonly metricsInterval?: DurationInput | false | undefined;
  /** @defaultValue `noopJobQueueMetrics` */
  readonly metrics?: JobQueueMetrics | undefined;
  /** @defaultValue `silentLogger` */
  readonly logger?: Logger | undefined;
  /** @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Jitter source in `[0, 1)`, for tests. @defaultValue `Math.random` */
  readonly random?: (() => number) | undefined;
}

/** How long `close()` waits past `shutdownTimeout` for BullMQ before dropping its connections. */
const CLOSE_GRACE_MS = 5_000;

/**
 * Closes a BullMQ worker, at most `limitMs`: while Redis is unreachable its `close()` never
 * resolves (it waits for the connection to end cleanly), so past the limit the connections are
 * dropped. Running jobs were handed back (or will be recovered as stalled ones) either way.
 */
async function closeWorker(
  worker: Worker | undefined,
  limitMs: number,
  logger: Logger,
): Promise<void> {
  if (worker === undefined) return;
  const closing = worker.close();
  closing.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(resolve, limitMs, 'late');
  });
  try {
    if ((await Promise.race([closing, late])) !== 'late') return;
  } finally {
    clearTimeout(timer);
  }
  logger.warn(
    { queue: worker.name },
    'job worker: Redis unreachable at close; dropping the connections',
  );
  dropBullConnections(worker);
  stopBullWorkerTimers(worker);
}

/** Retry delay after a failure outside the action itself. */
const UNEXPECTED_FAILURE_DELAY_MS = 5_000;

/** A worker process's consumer of one queue. */
export interface JobWorker extends AsyncDisposable, ServiceHealthReporter {
  readonly queue: string;
  /**
   * Checks Redis (refuses an evicting `maxmemory-policy`) and starts taking jobs. A start that
   * failed opened nothing and may be called again (once Redis is back); a call on a running
   * worker does nothing.
   *
   * @throws {JobQueueError} `REDIS_EVICTION_POLICY` or `REDIS_UNAVAILABLE`; `CLOSED` after
   * `close()`.
   */
  start(options?: { signal?: AbortSignal }): Promise<void>;
  /** Jobs running on this worker now. */
  running(): number;
  /**
   * The worker's Redis connection as one entry named `redis`: `down` before a start succeeded
   * (and after a failed one, with its error), `reconnecting` while Redis is lost (BullMQ and
   * this worker retry with backoff on their own), `up` once it answers again.
   */
  services(): readonly ServiceHealth[];
  /** Reports queue depth and dead letters to the metrics. */
  sampleMetrics(): Promise<void>;
  /**
   * Stops taking jobs, lets running ones finish for `shutdownTimeout`, then hands the rest back
   * to the queue (without using up an attempt) and closes the connections.
   */
  close(): Promise<void>;
}

/**
 * Creates a worker for one queue: runs referenced actions with the registry, retries with the
 * observers' retry policy (full jitter) through a custom BullMQ backoff, dead-letters exhausted
 * and permanent failures, recovers jobs of workers that died (stalled jobs).
 *
 * @throws {JobQueueError} `INVALID_ARGUMENT` for invalid options.
 */
export function createJobWorker(options: JobWorkerOptions): JobWorker {
  const config = parseJobQueueConfig({
    ...(options.redisUrl === undefined ? {} : { redisUrl: options.redisUrl }),
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    ...(options.defaultQueue === undefined ? {} : { defaultQueue: options.defaultQueue }),
    ...(options.keepFinished === undefined ? {} : { keepFinished: options.keepFinished }),
    ...(options.dlqRetention === undefined ? {} : { dlqRetention: options.dlqRetention }),
  });
  const env = options.env ?? process.env;
  const redisUrl = config.redisUrl ?? env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const queueName = options.queue ?? config.defaultQueue;
  if (!QUEUE_NAME.test(queueName)) {
    throw new JobQueueError('INVALID_ARGUMENT', `queue: invalid name ${JSON.stringify(queueName)}`);
  }
  const concurrency = options.concurrency ?? 10;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new JobQueueError(
      'INVALID_ARGUMENT',
      `concurrency: expected an integer >= 1, got ${String(concurrency)}`,
    );
  }
  const maxStalledCount = options.maxStalledCount ?? 1;
  if (!Number.isInteger(maxStalledCount) || maxStalledCount < 0) {
    throw new JobQueueError(
      'INVALID_ARGUMENT',
      `maxStalledCount: expected an integer >= 0, got ${String(maxStalledCount)}`,
    );
  }
  const metrics = options.metrics ?? noopJobQueueMetrics;
  const logger = options.logger ?? silentLogger;
  const shutdownTimeoutMs = parseDuration(options.shutdownTimeout ?? '30s', 'shutdownTimeout');
  const metricsIntervalMs =
    options.metricsInterval === false
      ? undefined
      : parseDuration(options.metricsInterval ?? '15s', 'metricsInterval');
  const connection = redisConnectionOptions(redisUrl, 'worker');
  const lockDurationMs = parseDuration(options.lockDuration ?? '30s', 'lockDuration');
  const stalledIntervalMs = parseDuration(options.stalledInterval ?? '30s', 'stalledInterval');
  const limiter =
    options.rateLimit === undefined
      ? undefined
      : {
          max: options.rateLimit.max,
          duration: parseDuration(options.rateLimit.duration, 'rateLimit.duration'),
        };
  const health = new ServiceHealthTracker({
    name: 'redis',
    kind: 'redis',
    target: redisTarget(connection),
  });
  health.onChange((snapshot) => {
    metrics.serviceState?.(snapshot);
  });
  metrics.serviceState?.(health.snapshot());
  const shutdown = new AbortController();
  let store: Promise<DeadLetterStore> | undefined;
  let ownClient: Promise<Redis> | undefined;
  let worker: Worker<JobData, JobResult> | undefined;
  let starting: Promise<void> | undefined;
  let stats: Queue | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;

  /** This worker's own client (dead letters, self-check); its events drive `services()`. */
  const client = (): Promise<Redis> =>
    (ownClient ??= openRedis(redisUrl, 'worker', (opened) => {
      trackRedisClient(opened, health, logger, `job worker ${queueName}`);
    }).catch((error: unknown) => {
      ownClient = undefined;
      throw error;
    }));
  const deadLetters = (): Promise<DeadLetterStore> =>
    (store ??= client().then(
      (opened) => new DeadLetterStore(opened, config.prefix),
      (error: unknown) => {
        store = undefined;
        throw error;
      },
    ));
  const processor = createJobProcessor({
    queue: queueName,
    registry: options.registry,
    observers: options.observers,
    deadLetters,
    metrics,
    logger,
    defaultRetry: options.retry,
    actionTimeoutMs: parseDuration(options.actionTimeout ?? '30s', 'actionTimeout'),
    shutdown: shutdown.signal,
    dlqRetentionMs: config.dlqRetention,
    random: options.random ?? Math.random,
    maxStalledCount,
  });
  let inProgress = 0;
  const tracked = async (job: Job<JobData>, token?: string): Promise<JobResult> => {
    inProgress += 1;
    try {
      return await processor(job, token);
    } finally {
      inProgress -= 1;
    }
  };
  /**
   * A job BullMQ failed for good without the processor dead-lettering it (a stall limit
   * recorded by an older worker, a lock lost at the wrong moment): dead-letter it here.
   */
  const ensureDeadLettered = async (job: Job<JobData>, error: Error): Promise<void> => {
    try {
      const dlq = await deadLetters();
      if (job.id === undefined || (await dlq.get(queueName, job.id)) !== undefined) return;
      const stalled = /stalled/i.test(error.message);
      await dlq.add({
        jobId: job.id,
        queue: queueName,
        reason: stalled ? 'stalled' : 'permanent',
        error: {
          code: 'ACTION_FAILED',
          errorType: stalled ? 'stalled' : 'unknown',
          message: error.message,
          retryable: false,
        },
        data: job.data,
        deadAt: Date.now(),
      });
      metrics.dlqItems(queueName, await dlq.count(queueName));
      logger.warn({ jobId: job.id, reason: error.message }, 'job dead-lettered after failing');
    } catch (thrown) {
      logger.error(
        { err: thrown, jobId: job.id },
        'job worker: a failed job could not be dead-lettered',
      );
    }
  };
  const onConnectionError = (error: unknown): void => {
    health.error(error);
    logger.debug({ err: error, queue: queueName }, 'job worker: Redis connection error');
  };

  /** The BullMQ worker, created once Redis passed the start-up check. */
  const newWorker = (): Worker<JobData, JobResult> => {
    const created = new Worker<JobData, JobResult>(queueName, tracked, {
      connection,
      prefix: config.prefix,
      autorun: false,
      skipVersionCheck: true,
      concurrency,
      lockDuration: lockDurationMs,
      stalledInterval: stalledIntervalMs,
      // The processor enforces `maxStalledCount` (dead-lettering the job); BullMQ's own limit
      // would fail the job outside the processor, past the dead-letter queue.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      ...(limiter === undefined ? {} : { limiter }),
      settings: {
        backoffStrategy: (_attemptsMade: number, type?: string, err?: Error): number => {
          const delay = (err as { [RETRY_DELAY]?: unknown } | undefined)?.[RETRY_DELAY];
          if (type !== BACKOFF_TYPE) return 0;
          // A failure outside the action (Redis down while dead-lettering) gets a pause, not a spin.
          return typeof delay === 'number' ? delay : UNEXPECTED_FAILURE_DELAY_MS;
        },
      },
    });
    guardBullConnections(created, onConnectionError);
    created.on('error', onConnectionError);
    created.on('failed', (job, error) => {
      if (
        job !== undefined &&
        error.name === 'UnrecoverableError' &&
        !wasDeadLetteredByProcessor(error)
      )
        void ensureDeadLettered(job, error);
    });
    created.on('stalled', (jobId) => {
      logger.warn({ jobId, queue: queueName }, 'job worker: a stalled job went back to the queue');
    });
    return created;
  };

  const sampleMetrics = async (): Promise<void> => {
    if (stats === undefined) {
      stats = new Queue(queueName, { connection, prefix: config.prefix, skipVersionCheck: true });
      guardBullConnections(stats, onConnectionError);
      stats.on('error', onConnectionError);
    }
    const counts = await stats.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    metrics.queueDepth(queueName, 'waiting', (counts.waiting ?? 0) + (counts.prioritized ?? 0));
    metrics.queueDepth(queueName, 'delayed', counts.delayed ?? 0);
    metrics.queueDepth(queueName, 'active', counts.active ?? 0);
    metrics.dlqItems(queueName, await (await deadLetters()).count(queueName));
  };

  const startOnce = async (signal: AbortSignal | undefined): Promise<void> => {
    try {
      await assertNoEviction(await client());
    } catch (error) {
      throw redisFailure(error, `job worker ${queueName}: startup check`);
    }
    signal?.throwIfAborted();
    if (closing !== undefined) throw new JobQueueError('CLOSED', 'the job worker is closed');
    const running = (worker = newWorker());
    void running.run().catch((error: unknown) => {
      logger.error({ err: error, queue: queueName }, 'job worker stopped on an error');
    });
    if (metricsIntervalMs !== undefined) {
      timer = setInterval(() => {
        sampleMetrics().catch((error: unknown) => {
          logger.warn({ err: error }, 'job worker: metrics sampling failed');
        });
      }, metricsIntervalMs);
      timer.unref();
    }
    logger.info({ queue: queueName, concurrency }, 'job worker started');
  };

  const start = async (startOptions: { signal?: AbortSignal } = {}): Promise<void> => {
    startOptions.signal?.throwIfAborted();
    if (closing !== undefined) throw new JobQueueError('CLOSED', 'the job worker is closed');
    if (worker !== undefined) return;
    starting ??= startOnce(startOptions.signal).finally(() => {
      starting = undefined;
    });
    await starting;
  };

  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await starting?.catch(() => undefined);
      clearInterval(timer);
      const handBack = setTimeout(() => {
        shutdown.abort(new JobQueueError('CLOSED', 'job worker shutting down'));
      }, shutdownTimeoutMs);
      try {
        await closeWorker(worker, shutdownTimeoutMs + CLOSE_GRACE_MS, logger);
      } finally {
        clearTimeout(handBack);
        if (stats !== undefined && health.state !== 'up') dropBullConnections(stats);
        else await stats?.close().catch(onConnectionError);
        await ownClient?.then(closeRedis).catch(() => undefined);
        health.closed();
      }
    })());

  return {
    queue: queueName,
    start,
    running: () => inProgress,
    services: () => [health.snapshot()],
    sampleMetrics,
    close,
    [Symbol.asyncDispose]: close,
  };
}
