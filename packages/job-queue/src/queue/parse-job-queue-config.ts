import { JobQueueError } from '../errors.js';
import { jobQueueConfigSchema, type JobQueueConfig } from './job-queue-options.js';

/**
 * Validates job queue settings and applies defaults.
 *
 * @throws {JobQueueError} `INVALID_ARGUMENT` naming every bad field by its path.
 */
export function parseJobQueueConfig(input: unknown, path = 'jobQueue'): JobQueueConfig {
  const result = jobQueueConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map(
    (issue) => `${[path, ...issue.path.map(String)].join('.')}: ${issue.message}`,
  );
  throw new JobQueueError('INVALID_ARGUMENT', lines.join('\n'), {
    details: { issues: result.error.issues },
  });
}
