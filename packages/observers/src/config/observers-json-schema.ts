import { z } from 'zod';

import { publishedObserversConfigSchema } from './observers-config.js';

let cached: Readonly<Record<string, unknown>> | undefined;

/**
 * The JSON Schema (draft 2020-12) of the observers config file, generated from the zod schema
 * (input side: what a file may contain). Published as
 * `@fraiseql/observers/observers.schema.json`.
 */
export function observersJsonSchema(): Readonly<Record<string, unknown>> {
  cached ??= Object.freeze(
    z.toJSONSchema(publishedObserversConfigSchema, {
      io: 'input',
      target: 'draft-2020-12',
      unrepresentable: 'any',
    }) as Record<string, unknown>,
  );
  return cached;
}
