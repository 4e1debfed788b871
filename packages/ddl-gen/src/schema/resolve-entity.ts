import { DdlGenError } from '../errors.js';
import { sqlName, type SqlName } from '../sql/sql-name.js';
import type { SchemaDocument, SchemaType } from './schema-document.js';

/** A schema type together with the `v_` view that backs it. */
export interface ResolvedEntity {
  /** Entity name used in generated names: `user` for `v_user` / `tv_user`. */
  readonly entity: string;
  readonly type: SchemaType;
  /** The JSON view (`id`, `data`) the projections read. */
  readonly view: SqlName;
}

/** `OrderItem` → `order_item`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * Finds an entity by type name (`User`), entity name (`user`) or view name (`v_user`); the view
 * is the `sql_source` of a query returning the type, else `v_{snake_case(type)}`.
 *
 * @throws {DdlGenError} `UNKNOWN_ENTITY` listing the known types.
 */
export function resolveEntity(
  schema: SchemaDocument,
  entity: string,
  defaultSchema = 'public',
): ResolvedEntity {
  const wanted = entity.replace(/^(?:[a-z_][a-z0-9_]*\.)?v_/, '');
  for (const type of schema.types) {
    const query = schema.queries.find(
      (candidate) => candidate.return_type === type.name && candidate.sql_source !== undefined,
    );
    const view = sqlName(
      query?.sql_source ?? `v_${snakeCase(type.name)}`,
      defaultSchema,
      `type ${type.name} sql_source`,
    );
    const name = view.name.startsWith('v_') ? view.name.slice(2) : snakeCase(type.name);
    if (type.name === entity || name === wanted || snakeCase(type.name) === wanted) {
      return { entity: name, type, view };
    }
  }
  throw new DdlGenError(
    'UNKNOWN_ENTITY',
    `entity ${JSON.stringify(entity)} is not a type of the schema (known: ${schema.types.map((type) => type.name).join(', ')})`,
  );
}
