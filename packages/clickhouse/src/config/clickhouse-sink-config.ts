import { isFraiseQLError, parseDuration } from '@fraiseql/core';
import { z } from 'zod';
import { ClickHouseError } from '../errors.js';

const duration = z
  .union([z.number(), z.string()])
  .transform((input, ctx) => {
    try {
      return parseDuration(input);
    } catch (error) {
      if (!isFraiseQLError(error)) throw error;
      ctx.addIssue({
        code: 'custom',
        input,
        message: `expected a duration: milliseconds or text such as "500ms", "5s" (units ms, s, m, h, d, w), got ${JSON.stringify(input)}`,
      });
      return z.NEVER;
    }
  })
  .meta({ description: 'Milliseconds as a number, or text such as "500ms" or "5s".' });

/** The data options of the ClickHouse sink as one zod schema (input: what callers pass). */
export const clickHouseSinkConfigSchema = z.object({
  /**
   * Database holding the tables (created when missing).
   * @defaultValue `'default'`
   */
  database: z.string().min(1).default('default'),
  /**
   * Name of the raw events table; the other tables take it as a prefix.
   * @defaultValue `'fraiseql_events'`
   */
  table: z.string().min(1).default('fraiseql_events'),
  /** When a batch closes: whichever limit is reached first. */
  batch: z
    .object({
      /** @defaultValue 10000 */
      maxRows: z.number().int().min(1).max(1_000_000).default(10_000),
      /** Encoded bytes. @defaultValue 8 MiB */
      maxBytes: z
        .number()
        .int()
        .min(1024)
        .default(8 * 1024 * 1024),
      /** Age of the oldest buffered row: a steady trickle still flushes this often. @defaultValue `'1s'` */
      maxAge: duration.default(1_000),
    })
    .prefault({}),
  /**
   * Rows buffered and not yet accepted before writers wait (and a piped source pauses).
   * @defaultValue 50000
   */
  maxBufferedRows: z.number().int().min(1).default(50_000),
  /** Backoff of inserts that failed transiently (full jitter, doubling). */
  retry: z
    .object({
      /** @defaultValue `'200ms'` */
      initialDelay: duration.default(200),
      /** @defaultValue `'10s'` */
      maxDelay: duration.default(10_000),
    })
    .prefault({}),
  /**
   * How long `close()` keeps retrying buffered rows before giving them back (a piped source
   * redelivers them).
   * @defaultValue `'30s'`
   */
  closeTimeout: duration.default(30_000),
  /**
   * Before each insert, skip rows whose event id is already stored (a batch re-sent after a
   * crash between insert and acknowledgement): aggregates never count an event twice.
   * @defaultValue true
   */
  skipStoredEvents: z.boolean().default(true),
  /** Slowing down before `TOO_MANY_PARTS`. */
  backpressure: z
    .object({
      /** Active parts in one partition of the raw table at which inserts wait for merges. @defaultValue 100 */
      maxActiveParts: z.number().int().min(1).default(100),
      /** How often the part count is read. @defaultValue `'1s'` */
      checkInterval: duration.default(1_000),
      /** Longest wait before inserting anyway (the server then delays or refuses). @defaultValue `'60s'` */
      maxWait: duration.default(60_000),
    })
    .prefault({}),
  /** Drop raw events older than this many days (TTL, servers 19.6+). @defaultValue none */
  ttlDays: z.number().int().min(1).optional(),
  /**
   * Create or upgrade the tables and views on start.
   * @defaultValue true
   */
  migrate: z.boolean().default(true),
});

/** Sink options as callers write them. */
export type ClickHouseSinkConfigInput = z.input<typeof clickHouseSinkConfigSchema>;
/** Sink options with every default filled in. */
export type ClickHouseSinkConfig = z.output<typeof clickHouseSinkConfigSchema>;

/**
 * Validates sink options and applies defaults.
 *
 * @throws {ClickHouseError} `INVALID_ARGUMENT` naming every bad field by its path
 */
export function parseClickHouseSinkConfig(
  input: unknown,
  path = 'clickhouse',
): ClickHouseSinkConfig {
  const result = clickHouseSinkConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map(
    (issue) => `${[path, ...issue.path.map(String)].join('.')}: ${issue.message}`,
  );
  throw new ClickHouseError('INVALID_ARGUMENT', lines.join('\n'));
}

/** The published JSON Schema of the sink options. */
export function clickHouseSinkJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(clickHouseSinkConfigSchema, { io: 'input', unrepresentable: 'any' });
}
