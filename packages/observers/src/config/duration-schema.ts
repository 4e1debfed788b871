import { isFraiseQLError, parseDuration } from '@fraiseql/core';
import { z } from 'zod';

/**
 * A duration in config: milliseconds as a number, or text such as `"30s"` or `"1h30m"`
 * (units `ms s m h d w`). Parses to milliseconds.
 */
export const durationSchema = z
  .union([z.number(), z.string()])
  .transform((input, ctx) => {
    try {
      return parseDuration(input);
    } catch (error) {
      if (!isFraiseQLError(error)) throw error;
      ctx.addIssue({
        code: 'custom',
        input,
        message: `expected a duration: milliseconds or text such as "30s", "5m", "1h30m" (units ms, s, m, h, d, w), got ${JSON.stringify(input)}`,
      });
      return z.NEVER;
    }
  })
  .meta({
    description: 'Milliseconds as a number, or text such as "30s", "5m" or "1h30m".',
    examples: ['30s', 5000],
  });
