import type { z as zod } from 'zod';
import { z } from 'zod';

import {
  extendedObserversConfigSchema,
  publishedObserversConfigSchema,
} from './observers-config.js';

let cached: Readonly<Record<string, unknown>> | undefined;

/** Options of {@link observersJsonSchema}. */
export interface ObserversJsonSchemaOptions {
  /**
   * Schemas of action types other packages provide (`searchActionSchema`,
   * `enqueueActionSchema`): each replaces the placeholder of its `type`, or is added.
   */
  readonly actions?: readonly zod.ZodType[];
}

/**
 * The JSON Schema (draft 2020-12) of the observers config file, generated from the zod schema
 * (input side: what a file may contain). Published as
 * `@fraiseql/observers/observers.schema.json`; with `actions`, the schema of a setup whose
 * extension action types are known in full.
 */
export function observersJsonSchema(
  options: ObserversJsonSchemaOptions = {},
): Readonly<Record<string, unknown>> {
  if (options.actions !== undefined && options.actions.length > 0) {
    return Object.freeze(toJsonSchema(extendedObserversConfigSchema(options.actions)));
  }
  cached ??= Object.freeze(toJsonSchema(publishedObserversConfigSchema));
  return cached;
}

function toJsonSchema(schema: zod.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
  });
}
