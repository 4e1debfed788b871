import { z } from 'zod';

import { changeLogSourceOptionsSchema } from '../sources/change-log/change-log-source-options.js';
import { natsConfigSchema } from '../sources/nats/nats-config.js';

/** Where observer events can come from. */
export const SOURCE_KINDS = ['change-log', 'nats', 'memory'] as const;

/** A source kind: the PostgreSQL change log, NATS JetStream or in-memory. */
export type SourceKind = (typeof SOURCE_KINDS)[number];

// The options of each kind, checked at load with the schema the source itself parses them with.
// `consumer` may come from the application instead of the file.
const OPTIONS: Readonly<Record<SourceKind, z.ZodType | undefined>> = {
  'change-log': changeLogSourceOptionsSchema.partial({ consumer: true }),
  nats: natsConfigSchema,
  memory: undefined,
};

/**
 * Schema of the top-level `source`: `kind` plus the options of that source. The options are
 * validated at load with the source's own schema (so mistakes are reported with every other
 * config problem) and kept as written; the source applies its defaults when it starts.
 */
export const sourceConfigSchema = z
  .looseObject({
    kind: z
      .enum(SOURCE_KINDS)
      .default('change-log')
      .meta({ description: 'Where events come from.' }),
  })
  .check(
    z.superRefine<{ kind: SourceKind } & Record<string, unknown>>((source, ctx) => {
      const { kind, ...options } = source;
      const result = OPTIONS[kind]?.safeParse(options);
      if (result === undefined || result.success) return;
      for (const issue of result.error.issues) ctx.addIssue({ ...issue, path: issue.path });
    }),
  )
  .meta({
    description:
      'Event source: "kind" plus the options of that source (change-log: consumer, batchSize, pollInterval, …; nats: servers, stream, durable, …).',
  });

/** The `source` section after validation (options as written, `kind` defaulted). */
export type SourceConfig = z.output<typeof sourceConfigSchema>;
