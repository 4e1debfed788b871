import { durationSchema } from '@fraiseql/observers';
import { z } from 'zod';

const indexPrefix = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,200}$/, {
  error: 'expected a lower-case index name: letters, digits, ".", "_" or "-"',
});

/** Schema of the event-history sink's settings (all optional). */
export const eventSinkConfigSchema = z
  .strictObject({
    index: z
      .strictObject({
        prefix: indexPrefix.default('fraiseql-events').meta({
          description: 'Monthly indices are `<prefix>-YYYY.MM`; a data stream is `<prefix>`.',
        }),
        mode: z
          .enum(['monthly', 'data-stream'])
          .default('monthly')
          .meta({ description: 'One index per month (UTC) or one data stream.' }),
      })
      .prefault({}),
    dataMapping: z.enum(['flattened', 'object']).default('flattened').meta({
      description: '`flattened` maps the whole event data as keywords; `object` maps each field.',
    }),
    searchText: z
      .boolean()
      .default(true)
      .meta({ description: "Index the data's text values as `search_text` for full-text search." }),
    retentionDays: z.int().min(1).optional().meta({
      description: 'Delete indices this many days after creation (ILM; Elasticsearch only).',
    }),
    setup: z
      .boolean()
      .default(true)
      .meta({ description: 'Create the templates and lifecycle policy before the first write.' }),
    batch: z
      .strictObject({
        maxDocs: z.int().min(1).max(100_000).default(1000),
        maxBytes: z
          .int()
          .min(1024)
          .max(100 * 1024 * 1024)
          .default(5 * 1024 * 1024),
        concurrency: z.int().min(1).max(64).default(2),
        flushInterval: durationSchema.default(1000),
        maxBufferedDocs: z
          .int()
          .min(1)
          .default(20_000)
          .meta({ description: '`write` waits for a flush past this many buffered documents.' }),
      })
      .prefault({}),
    retry: z
      .strictObject({
        maxRetries: z.int().min(0).max(100).default(8),
        baseDelay: durationSchema.default(200),
        maxDelay: durationSchema.default(30_000),
      })
      .prefault({}),
  })
  .meta({ title: 'Elasticsearch event sink', description: 'Event history in Elasticsearch.' });

/** Sink settings as written. */
export type EventSinkConfigInput = z.input<typeof eventSinkConfigSchema>;
/** Sink settings with defaults applied. */
export type EventSinkConfig = z.output<typeof eventSinkConfigSchema>;
