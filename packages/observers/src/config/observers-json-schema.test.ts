import { readFile } from 'node:fs/promises';

import { describe, expect, it } from 'vitest';

import { observersJsonSchema } from './observers-json-schema.js';

describe('observers.schema.json', () => {
  it('matches the zod schema (regenerate with: pnpm --filter @fraiseql/observers run generate:schema)', async () => {
    const published = JSON.parse(
      await readFile(new URL('../../observers.schema.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect(
      published,
      'observers.schema.json is stale: run pnpm --filter @fraiseql/observers run generate:schema',
    ).toEqual(observersJsonSchema());
  });

  it('describes what a config file may hold', () => {
    const schema = observersJsonSchema() as {
      required?: string[];
      properties: { observers: { additionalProperties: { properties: Record<string, unknown> } } };
    };
    expect(schema.required).toEqual(['observers']);
    const observer = schema.properties.observers.additionalProperties;
    expect(Object.keys(observer.properties)).toEqual([
      'description',
      'entity',
      'events',
      'condition',
      'actions',
      'retry',
      'onFailure',
      'ordering',
      'concurrency',
      'enabled',
      'async',
    ]);
    const actions = observer.properties.actions as { items: { oneOf: { title: string }[] } };
    expect(actions.items.oneOf.map((option) => option.title)).toEqual([
      'webhook',
      'slack',
      'email',
      'cache',
      'function',
      'search',
      'enqueue',
    ]);
  });
});
