import { z } from 'zod';
import { durationSchema } from '../../config/duration-schema.js';
import { ObserverError } from '../../errors.js';

const STREAM_NAME = /^[A-Za-z0-9_-]+$/;
// A subject of literal tokens: no wildcards, no empty tokens, no whitespace.
const LITERAL_SUBJECT = /^[^\s.*>]+(\.[^\s.*>]+)*$/;

const streamName = z.string().regex(STREAM_NAME, {
  error: 'expected a JetStream stream name (letters, digits, _ and -)',
});
const literalSubject = z.string().regex(LITERAL_SUBJECT, {
  error: 'expected a NATS subject of literal dot-separated tokens (no spaces, * or >)',
});
const consumerName = z.string().regex(STREAM_NAME, {
  error: 'expected a JetStream consumer name (letters, digits, _ and -)',
});
const limit = z
  .number()
  .int()
  .refine((value) => value === -1 || value > 0, {
    error: 'expected -1 (unlimited) or a positive integer',
  });

/**
 * Options of the NATS JetStream transport, shared by the bridge (publisher) and the source
 * (consumer) so that both agree on the stream, the subjects and the dead-letter destination.
 * Unknown keys are rejected, so a misspelt option is reported rather than ignored.
 */
export const natsConfigSchema = z
  .strictObject({
    /** Source kind, as written in an observers config file (`source.kind`). */
    kind: z.literal('nats').optional(),
    /**
     * Server URL(s); several URLs are tried in turn, and on reconnect.
     * @defaultValue `"nats://127.0.0.1:4222"` (the `NATS_URL` convention applies in apps)
     */
    servers: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .default('nats://127.0.0.1:4222'),
    /** Connection name shown by the server's monitoring. @defaultValue `"fraiseql-observers"` */
    name: z.string().min(1).default('fraiseql-observers'),
    /** Authentication token, when the server requires one. */
    token: z.string().min(1).optional(),
    /** User name, when the server requires user/password authentication. */
    user: z.string().min(1).optional(),
    /** Password for {@link NatsConfig.user}. */
    pass: z.string().optional(),
    /** JetStream stream holding the events. @defaultValue `"FRAISEQL_EVENTS"` */
    stream: streamName.default('FRAISEQL_EVENTS'),
    /**
     * Subject prefix: events are published to `{subjectPrefix}.{entityType}.{eventType}`.
     * @defaultValue `"fraiseql.events"`
     */
    subjectPrefix: literalSubject.default('fraiseql.events'),
    /** Window in which a repeated `Nats-Msg-Id` (the event id) is dropped. @defaultValue `"2m"` */
    duplicateWindow: durationSchema.default(120_000),
    /** Age after which the stream discards events; 0 keeps them forever. @defaultValue `"7d"` */
    maxAge: durationSchema.default(604_800_000),
    /** Most events the stream keeps (oldest discarded first). @defaultValue `-1` (unlimited) */
    maxMessages: limit.default(-1),
    /** Most bytes the stream keeps (oldest discarded first). @defaultValue `-1` (unlimited) */
    maxBytes: limit.default(-1),
    /** Stream storage, used when the stream is created. @defaultValue `"file"` */
    storage: z.enum(['file', 'memory']).default('file'),
    /** Stream replicas, used when the stream is created. @defaultValue `1` */
    replicas: z.number().int().min(1).max(5).default(1),
    /** Durable pull consumer shared by all workers. @defaultValue `"fraiseql-observers"` */
    durable: consumerName.default('fraiseql-observers'),
    /**
     * Time a worker has to settle (or send progress for) a message before the server
     * redelivers it. @defaultValue `"30s"`
     */
    ackWait: durationSchema.default(30_000),
    /**
     * Deliveries a message gets before it is dead-lettered with the last failure as reason.
     * @defaultValue `5`
     */
    maxDeliver: z.number().int().min(1).default(5),
    /** Most messages delivered but not yet acknowledged, over all workers. @defaultValue `1000` */
    maxAckPending: z.number().int().min(1).default(1000),
    /**
     * Subject dead letters are published to, stored by {@link NatsConfig.deadLetterStream}.
     * @defaultValue `"{subjectPrefix}_dlq"`
     */
    deadLetterSubject: literalSubject.optional(),
    /** Stream storing dead letters. @defaultValue `"{stream}_DLQ"` */
    deadLetterStream: streamName.optional(),
    /** Redelivery delay after the first retryable failure. @defaultValue `"1s"` */
    nakDelay: durationSchema.default(1_000),
    /** How the redelivery delay grows with the delivery count. @defaultValue `"exponential"` */
    nakBackoff: z.enum(['fixed', 'exponential']).default('exponential'),
    /** Upper bound of the redelivery delay. @defaultValue `"1m"` */
    nakMaxDelay: durationSchema.default(60_000),
    /** Most messages one pull request asks for. @defaultValue `64` */
    batchSize: z.number().int().min(1).max(10_000).default(64),
    /** How long an idle pull request waits on the server (at least 1s). @defaultValue `"5s"` */
    fetchExpires: durationSchema
      .pipe(z.number().min(1_000, { error: 'expected at least 1s' }))
      .default(5_000),
    /** Time to wait for a JetStream acknowledgement (PubAck, ack confirmation). @defaultValue `"5s"` */
    ackTimeout: durationSchema.default(5_000),
    /** Most publishes of the bridge awaiting their PubAck at once. @defaultValue `256` */
    maxPendingPublishes: z.number().int().min(1).default(256),
    /** Delay before an event whose publish failed is offered again. @defaultValue `"1s"` */
    publishRetryDelay: durationSchema.default(1_000),
    /**
     * How often a source reports its consumer's backlog (messages not yet acknowledged, age of
     * the oldest) to metrics. @defaultValue `"10s"`
     */
    statsInterval: durationSchema
      .pipe(z.number().min(100, { error: 'expected at least 100ms' }))
      .default(10_000),
  })
  .transform((config, ctx) => {
    const deadLetterSubject = config.deadLetterSubject ?? `${config.subjectPrefix}_dlq`;
    if (
      deadLetterSubject === config.subjectPrefix ||
      deadLetterSubject.startsWith(`${config.subjectPrefix}.`)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['deadLetterSubject'],
        input: deadLetterSubject,
        message: `must lie outside the event subjects "${config.subjectPrefix}.>"`,
      });
    }
    if (config.maxAge > 0 && config.duplicateWindow > config.maxAge) {
      ctx.addIssue({
        code: 'custom',
        path: ['duplicateWindow'],
        input: config.duplicateWindow,
        message: 'must not be longer than maxAge',
      });
    }
    return {
      ...config,
      servers: typeof config.servers === 'string' ? [config.servers] : config.servers,
      deadLetterSubject,
      deadLetterStream: config.deadLetterStream ?? `${config.stream}_DLQ`,
    };
  });

/** NATS transport options as written in config or code (durations as `"30s"` or milliseconds). */
export type NatsConfig = z.input<typeof natsConfigSchema>;

/** NATS transport options after validation and defaults (durations in milliseconds). */
export type ResolvedNatsConfig = z.output<typeof natsConfigSchema>;

/**
 * Validates NATS transport options and fills in defaults.
 *
 * @throws {ObserverError} `CONFIG_INVALID` naming the offending option path.
 */
export function parseNatsConfig(input: unknown, path = 'nats'): ResolvedNatsConfig {
  const result = natsConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map(
    (issue) => `${[path, ...issue.path.map(String)].join('.')}: ${issue.message}`,
  );
  throw new ObserverError('CONFIG_INVALID', lines.join('; '), {
    details: { issues: result.error.issues },
  });
}
