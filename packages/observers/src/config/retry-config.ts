import { z } from 'zod';

import { durationSchema } from './duration-schema.js';

/** The backoff shapes a retry policy can follow (all with full jitter). */
export const RETRY_STRATEGIES = ['exponential', 'linear', 'fixed'] as const;

/** A retry backoff shape: `exponential`, `linear` or `fixed`. */
export type RetryStrategy = (typeof RETRY_STRATEGIES)[number];

/** Schema of an observer's (or a webhook action's) retry policy. */
export const retryConfigSchema = z
  .strictObject({
    strategy: z
      .enum(RETRY_STRATEGIES)
      .default('exponential')
      .meta({ description: 'Backoff shape; delays get full jitter.' }),
    maxAttempts: z
      .int()
      .min(1)
      .max(1000)
      .default(5)
      .meta({ description: 'Attempts in total, the first one included.' }),
    initialDelay: durationSchema
      .default(1_000)
      .meta({ description: 'Delay before the first retry (duration).' }),
    maxDelay: durationSchema.default(300_000).meta({ description: 'Upper bound of one delay.' }),
    maxElapsed: durationSchema
      .default(3_600_000)
      .meta({ description: 'Give up once this much time passed since the first attempt.' }),
  })
  .meta({ description: 'Retry policy for failed actions.' });

/** A retry policy as written in a config file (durations as `"30s"` or milliseconds). */
export type RetryConfigInput = z.input<typeof retryConfigSchema>;

/**
 * A validated retry policy, durations in milliseconds.
 *
 * - `strategy` — @defaultValue `'exponential'`
 * - `maxAttempts` — @defaultValue `5`
 * - `initialDelay` — @defaultValue `1000` (`'1s'`)
 * - `maxDelay` — @defaultValue `300000` (`'5m'`)
 * - `maxElapsed` — @defaultValue `3600000` (`'1h'`)
 */
export type RetryConfig = z.output<typeof retryConfigSchema>;
