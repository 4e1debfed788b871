import { parseDuration, type DurationInput } from '@fraiseql/core';
import type { DeadLetterJob } from '../dlq/dead-letter-store.js';
import { JobQueueError, redisFailure } from '../errors.js';
import { noopJobQueueMetrics, type JobQueueMetrics } from '../metrics/job-queue-metrics.js';
import { jobOptions, type EnqueuedJob, type JobQueue } from '../queue/job-queue.js';

/** Job counts of one queue. */
export interface QueueStats {
  readonly queue: string;
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly completed: number;
  readonly failed: number;
  readonly paused: number;
  readonly deadLettered: number;
}

/** Result of {@link JobQueueAdmin.replayAll}. */
export interface ReplayAllResult {
  readonly replayed: number;
  /** Dead letters that could not be replayed, with the reason. */
  readonly failed: readonly { readonly jobId: string; readonly error: string }[];
}

/** Queue stats and dead-letter operations, for the server's admin API and the CLI. */
export interface JobQueueAdmin {
  /** Counts per queue (also reported to the metrics' depth and DLQ gauges). */
  stats(): Promise<QueueStats[]>;
  readonly dlq: {
    /** Dead letters of `queue`, newest first. @defaultValue limit `50`, offset `0` */
    list(queue: string, options?: { limit?: number; offset?: number }): Promise<DeadLetterJob[]>;
    /** @throws {JobQueueError} `JOB_NOT_FOUND` when no such dead letter exists. */
    show(queue: string, jobId: string): Promise<DeadLetterJob>;
    /**
     * Sends a dead letter back to its queue with a fresh attempt count (its history is reset,
     * `replays` counts up) and removes it from the dead-letter queue.
     *
     * @throws {JobQueueError} `JOB_NOT_FOUND`, `REDIS_UNAVAILABLE`.
     */
    replay(queue: string, jobId: string): Promise<EnqueuedJob>;
    /** Replays every dead letter of `queue` (at most `limit`). @defaultValue limit `10000` */
    replayAll(queue: string, options?: { limit?: number }): Promise<ReplayAllResult>;
    /** Deletes dead letters older than `olderThan` (`0` for all); resolves to how many. */
    purge(queue: string, options: { olderThan: DurationInput }): Promise<number>;
  };
}

/** Options of {@link createJobQueueAdmin}. */
export interface JobQueueAdminOptions {
  readonly queue: JobQueue;
  /** Queues `stats()` reports. @defaultValue the default queue */
  readonly queues?: readonly string[] | undefined;
  /** @defaultValue `noopJobQueueMetrics` */
  readonly metrics?: JobQueueMetrics | undefined;
}

/** Creates the admin API over a job queue (it uses the queue's connections). */
export function createJobQueueAdmin(options: JobQueueAdminOptions): JobQueueAdmin {
  const { queue } = options;
  const metrics = options.metrics ?? noopJobQueueMetrics;
  const names = options.queues ?? [queue.config.defaultQueue];

  const show = async (name: string, jobId: string): Promise<DeadLetterJob> => {
    const entry = await (await queue.deadLetters()).get(name, jobId);
    if (entry === undefined) {
      throw new JobQueueError(
        'JOB_NOT_FOUND',
        `no dead letter ${JSON.stringify(jobId)} in queue ${name}`,
      );
    }
    return entry;
  };

  const replay = async (name: string, jobId: string): Promise<EnqueuedJob> => {
    const entry = await show(name, jobId);
    const bull = queue.bullQueue(name);
    try {
      const existing = await bull.getJob(jobId);
      const state = await existing?.getState();
      // A finished copy would make the add a no-op; a live one means it already runs again.
      if (state === 'failed' || state === 'completed') await existing?.remove();
      if (
        existing === undefined ||
        state === 'failed' ||
        state === 'completed' ||
        state === 'unknown'
      ) {
        const data = { ...entry.data, attempts: [], replays: (entry.data.replays ?? 0) + 1 };
        await bull.add(entry.data.actionType, data, jobOptions(jobId, queue.config));
      }
      const store = await queue.deadLetters();
      await store.remove(name, [jobId]);
      metrics.dlqItems(name, await store.count(name));
    } catch (error) {
      throw redisFailure(error, `replay ${jobId}`);
    }
    metrics.jobQueued(name, entry.data.actionType);
    return { jobId, queue: name, outcome: 'enqueued' };
  };

  return {
    async stats() {
      const store = await queue.deadLetters();
      return Promise.all(
        names.map(async (name): Promise<QueueStats> => {
          const counts = await queue
            .bullQueue(name)
            .getJobCounts(
              'waiting',
              'prioritized',
              'active',
              'delayed',
              'completed',
              'failed',
              'paused',
            );
          const stats: QueueStats = {
            queue: name,
            waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
            active: counts.active ?? 0,
            delayed: counts.delayed ?? 0,
            completed: counts.completed ?? 0,
            failed: counts.failed ?? 0,
            paused: counts.paused ?? 0,
            deadLettered: await store.count(name),
          };
          metrics.queueDepth(name, 'waiting', stats.waiting);
          metrics.queueDepth(name, 'active', stats.active);
          metrics.queueDepth(name, 'delayed', stats.delayed);
          metrics.dlqItems(name, stats.deadLettered);
          return stats;
        }),
      );
    },
    dlq: {
      async list(name, listOptions = {}) {
        const limit = listOptions.limit ?? 50;
        const offset = listOptions.offset ?? 0;
        return (await queue.deadLetters()).list(name, offset, limit);
      },
      show,
      replay,
      async replayAll(name, replayOptions = {}) {
        const store = await queue.deadLetters();
        const ids = await store.idsUpTo(name, Date.now(), replayOptions.limit ?? 10_000);
        const failed: { jobId: string; error: string }[] = [];
        let replayed = 0;
        for (const jobId of ids) {
          try {
            await replay(name, jobId);
            replayed += 1;
          } catch (error) {
            failed.push({ jobId, error: error instanceof Error ? error.message : String(error) });
          }
        }
        return { replayed, failed };
      },
      async purge(name, purgeOptions) {
        const store = await queue.deadLetters();
        const before = Date.now() - parseDuration(purgeOptions.olderThan, 'olderThan');
        let removed = 0;
        for (;;) {
          const ids = await store.idsUpTo(name, before, 1000);
          if (ids.length === 0) break;
          removed += await store.remove(name, ids);
        }
        metrics.dlqItems(name, await store.count(name));
        return removed;
      },
    },
  };
}
