import type { Logger } from '@fraiseql/core';
import { durationSchema } from '@fraiseql/observers';
import { z } from 'zod';
import type { JobQueueMetrics } from '../metrics/job-queue-metrics.js';

/** Queue names and the key prefix: letters, digits, `_` and `-` (they become Redis keys and labels). */
export const QUEUE_NAME = /^[A-Za-z0-9_-]{1,100}$/;

const nameSchema = z.string().regex(QUEUE_NAME, {
  error: 'expected letters, digits, "_" or "-" (1 to 100 characters)',
});

/** Schema of the data part of {@link JobQueueOptions} (what a config file can hold). */
export const jobQueueConfigSchema = z.strictObject({
  redisUrl: z
    .url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' })
    .optional()
    .meta({
      description: 'Redis holding the queues; defaults to REDIS_URL, then redis://127.0.0.1:6379.',
    }),
  prefix: nameSchema.default('fraiseql').meta({ description: 'Prefix of every Redis key.' }),
  defaultQueue: nameSchema
    .default('default')
    .meta({ description: 'Queue of jobs that name none.' }),
  keepFinished: durationSchema.default(86_400_000).meta({
    description:
      'How long a finished job blocks its id: enqueuing the same job within this time after it finished is a no-op (duplicate-finished); later, it runs again.',
  }),
  dlqRetention: durationSchema.optional().meta({
    description:
      'Dead letters older than this are purged when new ones arrive; kept forever when absent.',
  }),
  enqueueTimeout: durationSchema.default(5_000).meta({
    description: 'Longest an enqueue waits for Redis before it fails with REDIS_UNAVAILABLE.',
  }),
});

/** Job queue settings as written in a config file. */
export type JobQueueConfigInput = z.input<typeof jobQueueConfigSchema>;

/** Job queue settings after validation, durations in milliseconds. */
export type JobQueueConfig = z.output<typeof jobQueueConfigSchema>;

/** Options of `createJobQueue`. */
export interface JobQueueOptions extends JobQueueConfigInput {
  /** @defaultValue `noopJobQueueMetrics` */
  readonly metrics?: JobQueueMetrics | undefined;
  /** @defaultValue `silentLogger` */
  readonly logger?: Logger | undefined;
  /** @defaultValue `process.env` (for `REDIS_URL`) */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}
