import {
  asyncFlagSchema,
  durationSchema,
  jsonTemplateSchema,
  retryConfigSchema,
} from '@fraiseql/observers';
import { z } from 'zod';

const FIELD_PATH = /^[A-Za-z0-9_@$-]+(\.[A-Za-z0-9_@$-]+)*$/;
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

const fieldPathSchema = z
  .string()
  .regex(FIELD_PATH, { error: 'expected a dotted path into the event data, e.g. "customer.name"' })
  .refine((path) => !path.split('.').some((segment) => FORBIDDEN_SEGMENTS.has(segment)), {
    error: 'a field path may not name __proto__, prototype or constructor',
  });

/** Schema of a `search` action: keeps the entity's document in an Elasticsearch index. */
export const searchActionSchema = z
  .strictObject({
    type: z.literal('search'),
    async: asyncFlagSchema.optional(),
    index: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,200}$/, {
        error: 'expected a lower-case index name: letters, digits, ".", "_" or "-"',
      })
      .meta({ description: 'Index (or alias) of the entity documents, e.g. "orders".' }),
    document: jsonTemplateSchema.optional().meta({
      description:
        'Document template: a JSON object whose strings may hold {{ path }} placeholders. The event data when neither this nor `fields` is set.',
    }),
    fields: z
      .array(fieldPathSchema)
      .min(1)
      .optional()
      .meta({ description: 'Paths of the event data copied into the document.' }),
    routing: z.enum(['none', 'tenant']).default('none').meta({
      description: '"tenant" routes each document by the event\'s tenant id (when it has one).',
    }),
    metadataField: z
      .union([z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/), z.literal(false)])
      .default('fraiseql')
      .meta({
        description:
          'Object field holding entity type, id, tenant, seq and event time (for filters); false for none.',
      }),
    timeout: durationSchema.default(10_000),
    retry: retryConfigSchema.optional(),
  })
  .check(
    z.superRefine((action, ctx) => {
      if (action.document !== undefined && action.fields !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['fields'],
          input: action.fields,
          message: 'give either "document" or "fields", not both',
        });
      }
      const document = action.document;
      if (
        document !== undefined &&
        (typeof document !== 'object' || document === null || Array.isArray(document))
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['document'],
          input: document,
          message: 'expected a JSON object template (an Elasticsearch document is an object)',
        });
      }
    }),
  )
  .meta({
    title: 'search',
    description:
      'Indexes, replaces or deletes the entity document in Elasticsearch (external version = event seq).',
  });

/** A `search` action as written in a config file. */
export type SearchActionConfigInput = z.input<typeof searchActionSchema>;
/** A `search` action after validation. */
export type SearchActionConfig = z.output<typeof searchActionSchema>;
