import { z } from 'zod';

/** One field of a FraiseQL type: its GraphQL type name (`Int`, `[Post]`, `DateTime!`). */
export const schemaFieldSchema = z.object({
  name: z.string().min(1),
  type: z.string().min(1),
  nullable: z.boolean().default(true),
});

/** One FraiseQL type with its fields. */
export const schemaTypeSchema = z.object({
  name: z.string().min(1),
  fields: z.array(schemaFieldSchema),
});

/** One FraiseQL query and the `v_` view (`sql_source`) that backs it. */
export const schemaQuerySchema = z.object({
  name: z.string().min(1),
  return_type: z.string().min(1),
  returns_list: z.boolean().default(false),
  sql_source: z.string().min(1).optional(),
});

/**
 * The FraiseQL schema JSON, as compiled by the FraiseQL toolchain. Unknown keys are kept so a
 * newer schema version still loads.
 */
export const schemaDocumentSchema = z.looseObject({
  version: z.union([z.string(), z.number()]).optional(),
  types: z.array(schemaTypeSchema),
  queries: z.array(schemaQuerySchema).default([]),
});

/** A validated FraiseQL schema document. */
export type SchemaDocument = z.output<typeof schemaDocumentSchema>;
/** A FraiseQL schema document as written (defaults not applied). */
export type SchemaDocumentInput = z.input<typeof schemaDocumentSchema>;
/** A validated field of a {@link SchemaDocument} type. */
export type SchemaField = z.output<typeof schemaFieldSchema>;
/** A validated type of a {@link SchemaDocument}. */
export type SchemaType = z.output<typeof schemaTypeSchema>;
/** A validated query of a {@link SchemaDocument}. */
export type SchemaQuery = z.output<typeof schemaQuerySchema>;

/**
 * The JSON Schema (draft 2020-12) of the schema document as written, for editors and other
 * tools; generated from {@link schemaDocumentSchema} so the two cannot drift.
 */
export function schemaDocumentJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(schemaDocumentSchema, { io: 'input' });
}
