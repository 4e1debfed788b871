import { describe, expect, it } from 'vitest';
import { isDdlGenError } from '../errors.js';
import { loadSchema } from './load-schema.js';
import { schemaDocumentJsonSchema } from './schema-document.js';
import { resolveEntity } from './resolve-entity.js';

const valid = {
  version: '2.0',
  types: [{ name: 'OrderItem', fields: [{ name: 'sku', type: 'String', nullable: false }] }],
  queries: [{ name: 'items', return_type: 'OrderItem', returns_list: true, sql_source: 'v_item' }],
};

describe('loadSchema', () => {
  it('accepts JSON text and applies defaults', () => {
    const schema = loadSchema(
      JSON.stringify({ types: [{ name: 'A', fields: [{ name: 'x', type: 'Int' }] }] }),
    );
    expect(schema.types[0]?.fields[0]?.nullable).toBe(true);
    expect(schema.queries).toEqual([]);
  });

  it('names the path of every problem', () => {
    const error: unknown = (() => {
      try {
        loadSchema({ types: [{ name: 'A', fields: [{ name: 'x' }] }], queries: [{ name: 'q' }] });
      } catch (e) {
        return e;
      }
    })();
    expect(isDdlGenError(error, 'SCHEMA_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/types\[0\]\.fields\[0\]\.type: /);
    expect((error as Error).message).toMatch(/queries\[0\]\.return_type: /);
  });

  it('rejects invalid JSON and duplicate type names', () => {
    expect(() => loadSchema('{')).toThrow(/not valid JSON/);
    expect(() => loadSchema({ types: [valid.types[0], valid.types[0]] })).toThrow(
      /types\[1\]\.name: duplicate type "OrderItem"/,
    );
  });

  it('resolves an entity by type, entity or view name', () => {
    const schema = loadSchema(valid);
    for (const name of ['OrderItem', 'item', 'v_item']) {
      const entity = resolveEntity(schema, name);
      expect(entity.entity).toBe('item');
      expect(entity.view).toEqual({ schema: 'public', name: 'v_item' });
    }
    expect(() => resolveEntity(schema, 'Nope')).toThrow(/known: OrderItem/);
  });
});

describe('schemaDocumentJsonSchema', () => {
  it('describes the input format: required keys and field defaults', () => {
    const json = schemaDocumentJsonSchema() as {
      required: string[];
      properties: {
        types: {
          items: {
            properties: {
              fields: {
                items: { required: string[]; properties: { nullable: { default: unknown } } };
              };
            };
          };
        };
      };
    };
    expect(json.required).toEqual(['types']);
    const field = json.properties.types.items.properties.fields.items;
    expect(field.required).toEqual(['name', 'type']);
    expect(field.properties.nullable.default).toBe(true);
  });
});
