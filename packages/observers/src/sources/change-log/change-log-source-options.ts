import { z } from 'zod';
import { durationSchema } from '../../config/duration-schema.js';

const retentionSchema = z.object({
  /** Rows older than this (by `created_at`) that every consumer has passed are deleted. */
  maxAge: durationSchema,
  /**
   * Rows deleted per statement.
   * @defaultValue 1000
   */
  batchSize: z.number().int().min(1).max(100_000).default(1000),
  /**
   * Upper bound of statements per cleanup run (so one run stays short).
   * @defaultValue 100
   */
  maxBatchesPerRun: z.number().int().min(1).default(100),
  /**
   * How often the cleanup runs.
   * @defaultValue `'1h'`
   */
  interval: durationSchema.default(3_600_000),
});

/**
 * The data options of {@link createChangeLogSource}, as one zod schema: the input type is what
 * callers pass, the output type has every default filled in.
 */
export const changeLogSourceOptionsSchema = z.object({
  /**
   * Durable name of the consumer. Progress, claims and parked rows are kept per name; several
   * processes sharing a name share the work.
   */
  consumer: z.string().min(1).max(200),
  /**
   * Rows claimed per database round trip.
   * @defaultValue 500
   */
  batchSize: z.number().int().min(1).max(10_000).default(500),
  /**
   * Safety poll: how often the source looks for work when no NOTIFY wakes it.
   * @defaultValue `'5s'`
   */
  pollInterval: durationSchema.default(5_000),
  /**
   * How often the source polls while its LISTEN connection is lost (a server restart, a
   * terminated backend), until the connection is re-established; never longer than
   * `pollInterval`.
   * @defaultValue `'1s'`
   */
  fallbackPollInterval: durationSchema.default(1_000),
  /**
   * How long a claim stays with a worker that stops renewing it (a crashed process). Live
   * workers renew their leases every third of this.
   * @defaultValue `'30s'`
   */
  leaseDuration: durationSchema.default(30_000),
  /**
   * How long committed rows may wait behind an open transaction (the xmin horizon) before the
   * source reports the blocking transaction as a warning and in its health.
   * @defaultValue `'30s'`
   */
  commitLagWindow: durationSchema.default(30_000),
  /**
   * How often backlog and capture lag are measured and reported to metrics.
   * @defaultValue `'10s'`
   */
  statsInterval: durationSchema.default(10_000),
  /**
   * Where a consumer seen for the first time starts: every row in the log, or `'now'`: after
   * every row whose transaction is below the xmin horizon when it registers (rows of
   * transactions still open then, or committed while an older one was open, are delivered).
   * @defaultValue `'beginning'`
   */
  startFrom: z.enum(['beginning', 'now']).default('beginning'),
  /**
   * Subscribe to `NOTIFY fraiseql_change_log` for prompt wake-ups.
   * @defaultValue true
   */
  listen: z.boolean().default(true),
  /**
   * Identity of this worker in lease rows.
   * @defaultValue `<hostname>:<pid>:<random>`
   */
  workerId: z.string().min(1).max(200).optional(),
  /**
   * Deletes delivered rows in bounded batches; `false` keeps every row.
   * @defaultValue false
   */
  retention: z.union([z.literal(false), retentionSchema]).default(false),
});

/** Data options of {@link createChangeLogSource} as callers write them. */
export type ChangeLogSourceConfig = z.input<typeof changeLogSourceOptionsSchema>;

/** Data options of {@link createChangeLogSource} with defaults applied (durations in ms). */
export type ResolvedChangeLogSourceConfig = z.output<typeof changeLogSourceOptionsSchema>;

/** Retention settings with defaults applied. */
export type ChangeLogRetentionConfig = z.output<typeof retentionSchema>;
