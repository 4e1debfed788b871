import type { z } from 'zod';
import { ObserverError } from '../errors.js';

/**
 * Parses options with a zod schema, turning every issue into one message with dot-paths
 * (`createChangeLogSource.options.batchSize: expected a number >= 1`).
 *
 * @throws {ObserverError} `INVALID_ARGUMENT` naming each offending path.
 */
export function parseOptions<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  where: string,
): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = [where, ...issue.path.map(String)].join('.');
    return `${path}: ${issue.message}`;
  });
  throw new ObserverError('INVALID_ARGUMENT', problems.join('; '), {
    details: { issues: result.error.issues },
  });
}
