import { silentLogger, type Logger } from '@fraiseql/core';
import {
  builtinActionSchema,
  durationSchema,
  type ActionExecutor,
  type AnyActionConfig,
} from '@fraiseql/observers';
import { z } from 'zod';
import { QUEUE_NAME } from '../queue/job-queue-options.js';
import type { JobQueue } from '../queue/job-queue.js';
import { dispatchJob, type QueueUnavailablePolicy } from './dispatch-job.js';
import type { JobActionRegistry } from '../worker/job-processor.js';

/** Schema of an `enqueue` action: runs the wrapped action on a worker of `queue`. */
export const enqueueActionSchema = z
  .strictObject({
    type: z.literal('enqueue'),
    queue: z
      .string()
      .regex(QUEUE_NAME, { error: 'expected letters, digits, "_" or "-"' })
      .optional()
      .meta({ description: 'Queue name; the job queue default when absent.' }),
    action: builtinActionSchema.meta({
      description:
        'The action workers run (environment references inside are resolved by workers only for top-level actions: prefer `async: true` for those).',
    }),
    timeout: durationSchema
      .default(5_000)
      .meta({ description: 'Longest the enqueue itself may take.' }),
  })
  .meta({ title: 'enqueue', description: 'Runs the wrapped action on a job-queue worker.' });

/** An `enqueue` action after validation. */
export type EnqueueActionConfig = z.output<typeof enqueueActionSchema>;

/** Options of {@link createEnqueueAction}. */
export interface EnqueueActionOptions {
  readonly queue: JobQueue;
  /** Runs the wrapped action inline under `onUnavailable: 'inline'`. */
  readonly registry: JobActionRegistry;
  /** @defaultValue `'dlq'` */
  readonly onUnavailable?: QueueUnavailablePolicy | undefined;
  /** @defaultValue `silentLogger` */
  readonly logger?: Logger | undefined;
}

/**
 * The executor of the `enqueue` action type; register it with
 * `registry.register(createEnqueueAction({ queue, registry }), enqueueActionSchema)`.
 */
export function createEnqueueAction(options: EnqueueActionOptions): ActionExecutor {
  const deps = {
    queue: options.queue,
    onUnavailable: options.onUnavailable ?? 'dlq',
    logger: options.logger ?? silentLogger,
  } as const;
  return {
    type: 'enqueue',
    execute: (config, context) => {
      const { queue, action } = config as unknown as { queue?: string; action: AnyActionConfig };
      return dispatchJob(deps, 'enqueue', queue, context, () =>
        options.registry.execute(action, context),
      );
    },
  };
}
