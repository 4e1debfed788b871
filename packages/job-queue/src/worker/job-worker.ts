import { parseDuration, silentLogger, type DurationInput, type Logger } from '@fraiseql/core';
import type { RetryPolicyConfig } from '@fraiseql/observers';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { openRedis } from '../redis/open-redis.js';
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
  assertNoEviction,
  DEFAULT_REDIS_URL,
  redisConnectionOptions,
} from '../redis/redis-connection.js';
import { createJobProcessor, type JobActionRegistry, type JobResult } from './job-processor.js';

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

/** Retry delay after a failure outside the action itself. */
const UNEXPECTED_FAILURE_DELAY_MS = 5_000;

/** A worker process's consumer of one queue. */
export interface JobWorker extends AsyncDisposable {
  readonly queue: string;
  /**
   * Checks Redis (refuses an evicting `maxmemory-policy`) and starts taking jobs.
   *
   * @throws {JobQueueError} `REDIS_EVICTION_POLICY` or `REDIS_UNAVAILABLE`.
   */
  start(options?: { signal?: AbortSignal }): Promise<void>;
  /** Jobs running on this worker now. */
  running(): number;
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
  const metrics = options.metrics ?? noopJobQueueMetrics;
  const logger = options.logger ?? silentLogger;
  const shutdownTimeoutMs = parseDuration(options.shutdownTimeout ?? '30s', 'shutdownTimeout');
  const metricsIntervalMs =
    options.metricsInterval === false
      ? undefined
      : parseDuration(options.metricsInterval ?? '15s', 'metricsInterval');
  const connection = redisConnectionOptions(redisUrl, 'worker');
  const shutdown = new AbortController();
  let store: Promise<DeadLetterStore> | undefined;
  let ownClient: Promise<Redis> | undefined;
  let stats: Queue | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;

  const deadLetters = (): Promise<DeadLetterStore> =>
    (store ??= (ownClient ??= openRedis(redisUrl, 'worker')).then(
      (client) => new DeadLetterStore(client, config.prefix),
      (error: unknown) => {
        store = undefined;
        ownClient = undefined;
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
  const worker = new Worker<JobData, JobResult>(queueName, tracked, {
    connection,
    prefix: config.prefix,
    autorun: false,
    skipVersionCheck: true,
    concurrency,
    lockDuration: parseDuration(options.lockDuration ?? '30s', 'lockDuration'),
    stalledInterval: parseDuration(options.stalledInterval ?? '30s', 'stalledInterval'),
    maxStalledCount: 1,
    ...(options.rateLimit === undefined
      ? {}
      : {
          limiter: {
            max: options.rateLimit.max,
            duration: parseDuration(options.rateLimit.duration, 'rateLimit.duration'),
          },
        }),
    settings: {
      backoffStrategy: (_attemptsMade: number, type?: string, err?: Error): number => {
        const delay = (err as { [RETRY_DELAY]?: unknown } | undefined)?.[RETRY_DELAY];
        if (type !== BACKOFF_TYPE) return 0;
        // A failure outside the action (Redis down while dead-lettering) gets a pause, not a spin.
        return typeof delay === 'number' ? delay : UNEXPECTED_FAILURE_DELAY_MS;
      },
    },
  });
  worker.on('error', (error) => {
    logger.warn({ err: error, queue: queueName }, 'job worker: Redis connection error');
  });
  worker.on('stalled', (jobId) => {
    logger.warn({ jobId, queue: queueName }, 'job worker: a stalled job went back to the queue');
  });

  const sampleMetrics = async (): Promise<void> => {
    stats ??= new Queue(queueName, { connection, prefix: config.prefix, skipVersionCheck: true });
    const counts = await stats.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    metrics.queueDepth(queueName, 'waiting', (counts.waiting ?? 0) + (counts.prioritized ?? 0));
    metrics.queueDepth(queueName, 'delayed', counts.delayed ?? 0);
    metrics.queueDepth(queueName, 'active', counts.active ?? 0);
    metrics.dlqItems(queueName, await (await deadLetters()).count(queueName));
  };

  const start = async (startOptions: { signal?: AbortSignal } = {}): Promise<void> => {
    startOptions.signal?.throwIfAborted();
    try {
      await assertNoEviction(await (ownClient ??= openRedis(redisUrl, 'worker')));
    } catch (error) {
      throw redisFailure(error, `job worker ${queueName}: startup check`);
    }
    startOptions.signal?.throwIfAborted();
    void worker.run().catch((error: unknown) => {
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

  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(timer);
      const handBack = setTimeout(() => {
        shutdown.abort(new JobQueueError('CLOSED', 'job worker shutting down'));
      }, shutdownTimeoutMs);
      try {
        await worker.close();
      } finally {
        clearTimeout(handBack);
        await stats?.close();
        await ownClient?.then((client) => client.quit()).catch(() => undefined);
      }
    })());

  return {
    queue: queueName,
    start,
    running: () => inProgress,
    sampleMetrics,
    close,
    [Symbol.asyncDispose]: close,
  };
}
