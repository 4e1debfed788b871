import { readFile } from 'node:fs/promises';

import { describe, expect, it } from 'vitest';
import { z } from 'zod';

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

  it('replaces the placeholder of an extension type with the schema its package gives', () => {
    const search = z
      .strictObject({ type: z.literal('search'), index: z.string().min(1) })
      .meta({ title: 'search' });
    const schema = observersJsonSchema({ actions: [search] }) as {
      properties: { observers: { additionalProperties: { properties: Record<string, unknown> } } };
    };
    const actions = schema.properties.observers.additionalProperties.properties.actions as {
      items: { oneOf: { title: string; required?: string[]; additionalProperties?: unknown }[] };
    };
    expect(actions.items.oneOf.map((option) => option.title)).toEqual([
      'webhook',
      'slack',
      'email',
      'cache',
      'function',
      'enqueue',
      'search',
    ]);
    const extended = actions.items.oneOf.find((option) => option.title === 'search');
    expect(extended?.required).toEqual(['type', 'index']);
    expect(extended?.additionalProperties).toBe(false);
    // The published schema keeps its placeholder.
    expect(observersJsonSchema()).not.toEqual(schema);
  });
});
