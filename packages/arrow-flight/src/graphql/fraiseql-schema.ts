import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  type GraphQLFieldConfigMap,
  type GraphQLInputFieldConfigMap,
  type GraphQLInputType,
  type GraphQLOutputType,
} from 'graphql';
import { z } from 'zod';
import { FlightError } from '../errors.js';

const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,62}$/;

/** The FraiseQL schema JSON (`types`, `queries` with `sql_source`), as `@fraiseql/ddl-gen` reads it. */
export const fraiseqlSchemaDocumentSchema = z.looseObject({
  version: z.union([z.string(), z.number()]).optional(),
  types: z.array(
    z.object({
      name: z.string().regex(NAME),
      fields: z.array(
        z.object({
          name: z.string().regex(NAME),
          type: z.string().min(1).max(200),
          nullable: z.boolean().default(true),
        }),
      ),
    }),
  ),
  queries: z
    .array(
      z.object({
        name: z.string().regex(NAME),
        return_type: z.string().regex(NAME),
        returns_list: z.boolean().default(false),
        sql_source: z
          .string()
          .regex(/^([_A-Za-z][_0-9A-Za-z]{0,62}\.)?[_A-Za-z][_0-9A-Za-z]{0,62}$/)
          .optional(),
      }),
    )
    .default([]),
});

/** A FraiseQL schema document as written. */
export type FraiseqlSchemaDocument = z.input<typeof fraiseqlSchemaDocumentSchema>;

/** How a scalar is read from the `data` document and typed in Arrow and in filters. */
export type ScalarKind =
  | 'int'
  | 'bigint'
  | 'float'
  | 'decimal'
  | 'boolean'
  | 'string'
  | 'datetime'
  | 'date'
  | 'time'
  | 'json';

const SCALAR_KINDS: Readonly<Record<string, ScalarKind>> = {
  Int: 'int',
  BigInt: 'bigint',
  Float: 'float',
  Decimal: 'decimal',
  Boolean: 'boolean',
  ID: 'string',
  String: 'string',
  UUID: 'string',
  DateTime: 'datetime',
  Date: 'date',
  Time: 'time',
  JSON: 'json',
  JSONObject: 'json',
};

/** A field of a FraiseQL type, resolved. */
export interface ModelField {
  readonly name: string;
  /** The named type (`Int`, `Post`). */
  readonly typeName: string;
  readonly list: boolean;
  /** Set for scalars (and enums/custom scalars, read as strings). */
  readonly scalar: ScalarKind | undefined;
  /** Set for object types. */
  readonly object: ModelType | undefined;
}

/** A FraiseQL type, resolved. */
export interface ModelType {
  readonly name: string;
  readonly fields: ReadonlyMap<string, ModelField>;
}

/** A FraiseQL query: a root field backed by a `v_` view. */
export interface ModelQuery {
  readonly name: string;
  readonly type: ModelType;
  readonly list: boolean;
  readonly viewSchema: string;
  readonly view: string;
}

/** The GraphQL schema of the Flight GraphQL tickets, and the model it was built from. */
export interface FlightGraphqlSchema {
  readonly schema: GraphQLSchema;
  readonly types: ReadonlyMap<string, ModelType>;
  readonly queries: ReadonlyMap<string, ModelQuery>;
}

/** Scalars beyond the built-in five; values pass through as the JSON they are. */
function passThroughScalar(name: string, description: string): GraphQLScalarType {
  return new GraphQLScalarType({ name, description });
}

function invalid(message: string): FlightError {
  return new FlightError('INVALID_ARGUMENT', `graphql schema: ${message}`);
}

function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * Builds the graphql-js schema of a FraiseQL schema document: one object type per type, one
 * root query field per query with `where` (typed per-field operators, `and`/`or`/`not`),
 * `orderBy` (an enum of the type's scalar fields), `limit` and `offset`.
 *
 * @throws {FlightError} `INVALID_ARGUMENT` for an invalid document or an unknown type.
 */
export function buildFlightGraphqlSchema(input: unknown): FlightGraphqlSchema {
  const parsed = fraiseqlSchemaDocumentSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const document = parsed.data;
  const scalars = new Map<string, GraphQLScalarType>([
    ['Int', GraphQLInt],
    ['Float', GraphQLFloat],
    ['String', GraphQLString],
    ['Boolean', GraphQLBoolean],
    ['ID', GraphQLID],
  ]);
  const scalarType = (name: string): GraphQLScalarType => {
    let type = scalars.get(name);
    if (type === undefined) {
      type = passThroughScalar(name, `FraiseQL scalar ${name}`);
      scalars.set(name, type);
    }
    return type;
  };

  // The model first (plain data the compiler walks), then the GraphQL types over it.
  const types = new Map<string, { name: string; fields: Map<string, ModelField> }>();
  for (const type of document.types) {
    if (types.has(type.name) || SCALAR_KINDS[type.name] !== undefined) {
      throw invalid(`duplicate or reserved type name ${type.name}`);
    }
    types.set(type.name, { name: type.name, fields: new Map() });
  }
  for (const type of document.types) {
    const model = types.get(type.name);
    if (model === undefined) continue;
    for (const field of type.fields) {
      const reference = field.type.replace(/\s+/g, '');
      const match = /^(\[)?([_A-Za-z][_0-9A-Za-z]*)!?(\]!?)?$/.exec(reference);
      if (match === null || (match[1] === undefined) !== (match[3] === undefined)) {
        throw invalid(`${type.name}.${field.name}: cannot read type ${JSON.stringify(field.type)}`);
      }
      const typeName = match[2] ?? '';
      const object = types.get(typeName);
      model.fields.set(field.name, {
        name: field.name,
        typeName,
        list: match[1] !== undefined,
        // Enums and custom scalars travel as JSON strings.
        scalar: object === undefined ? (SCALAR_KINDS[typeName] ?? 'string') : undefined,
        object,
      });
    }
  }

  const direction = new GraphQLEnumType({
    name: 'OrderDirection',
    values: { ASC: { value: 'asc' }, DESC: { value: 'desc' } },
  });
  const filterInputs = new Map<string, GraphQLInputObjectType>();
  const scalarFilter = (typeName: string, kind: ScalarKind): GraphQLInputObjectType => {
    const name = `${kind === 'string' ? 'String' : typeName}Filter`;
    let input = filterInputs.get(name);
    if (input === undefined) {
      const value: GraphQLInputType = kind === 'string' ? GraphQLString : scalarType(typeName);
      const fields: GraphQLInputFieldConfigMap =
        kind === 'json'
          ? { isNull: { type: GraphQLBoolean } }
          : {
              eq: { type: value },
              neq: { type: value },
              in: { type: new GraphQLList(new GraphQLNonNull(value)) },
              nin: { type: new GraphQLList(new GraphQLNonNull(value)) },
              isNull: { type: GraphQLBoolean },
            };
      if (kind !== 'boolean' && kind !== 'json') {
        Object.assign(fields, {
          gt: { type: value },
          gte: { type: value },
          lt: { type: value },
          lte: { type: value },
        });
      }
      if (kind === 'string') {
        Object.assign(fields, { like: { type: GraphQLString }, ilike: { type: GraphQLString } });
      }
      input = new GraphQLInputObjectType({ name, fields });
      filterInputs.set(name, input);
    }
    return input;
  };

  const objectTypes = new Map<string, GraphQLObjectType>();
  const objectType = (name: string): GraphQLObjectType => {
    const type = objectTypes.get(name);
    if (type === undefined) throw invalid(`unknown type ${name}`);
    return type;
  };
  const outputType = (field: ModelField): GraphQLOutputType => {
    const named: GraphQLOutputType =
      field.object !== undefined ? objectType(field.object.name) : scalarType(field.typeName);
    return field.list ? new GraphQLList(named) : named;
  };
  for (const model of types.values()) {
    objectTypes.set(
      model.name,
      new GraphQLObjectType({
        name: model.name,
        fields: () => {
          const fields: GraphQLFieldConfigMap<unknown, unknown> = {};
          for (const field of model.fields.values())
            fields[field.name] = { type: outputType(field) };
          return fields;
        },
      }),
    );
  }

  const whereInputs = new Map<string, GraphQLInputObjectType>();
  const whereInput = (model: ModelType): GraphQLInputObjectType => {
    let input = whereInputs.get(model.name);
    if (input === undefined) {
      const self: GraphQLInputObjectType = new GraphQLInputObjectType({
        name: `${model.name}Where`,
        fields: () => {
          const fields: GraphQLInputFieldConfigMap = {
            and: { type: new GraphQLList(new GraphQLNonNull(self)) },
            or: { type: new GraphQLList(new GraphQLNonNull(self)) },
            not: { type: self },
          };
          for (const field of model.fields.values()) {
            if (field.scalar === undefined || field.list) continue;
            fields[field.name] = { type: scalarFilter(field.typeName, field.scalar) };
          }
          return fields;
        },
      });
      input = self;
      whereInputs.set(model.name, input);
    }
    return input;
  };
  const orderInput = (model: ModelType): GraphQLInputObjectType | undefined => {
    const values: Record<string, { value: string }> = {};
    for (const field of model.fields.values()) {
      if (field.scalar !== undefined && !field.list && field.scalar !== 'json') {
        values[field.name] = { value: field.name };
      }
    }
    if (Object.keys(values).length === 0) return undefined;
    return new GraphQLInputObjectType({
      name: `${model.name}OrderBy`,
      fields: {
        field: {
          type: new GraphQLNonNull(
            new GraphQLEnumType({ name: `${model.name}OrderField`, values }),
          ),
        },
        direction: { type: direction, defaultValue: 'asc' },
      },
    });
  };

  const queries = new Map<string, ModelQuery>();
  const rootFields: GraphQLFieldConfigMap<unknown, unknown> = {};
  const orderInputs = new Map<string, GraphQLInputObjectType | undefined>();
  for (const query of document.queries) {
    const model = types.get(query.return_type);
    if (model === undefined) {
      throw invalid(`query ${query.name}: unknown return type ${query.return_type}`);
    }
    const source = query.sql_source ?? `v_${snakeCase(model.name)}`;
    const dot = source.indexOf('.');
    queries.set(query.name, {
      name: query.name,
      type: model,
      list: query.returns_list,
      viewSchema: dot < 0 ? 'public' : source.slice(0, dot),
      view: dot < 0 ? source : source.slice(dot + 1),
    });
    if (!orderInputs.has(model.name)) orderInputs.set(model.name, orderInput(model));
    const order = orderInputs.get(model.name);
    const returned = objectType(model.name);
    rootFields[query.name] = {
      type: query.returns_list ? new GraphQLList(returned) : returned,
      args: {
        where: { type: whereInput(model) },
        ...(order === undefined
          ? {}
          : { orderBy: { type: new GraphQLList(new GraphQLNonNull(order)) } }),
        limit: { type: GraphQLInt },
        offset: { type: GraphQLInt },
      },
    };
  }
  if (queries.size === 0) throw invalid('no queries');
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: rootFields }),
  });
  return { schema, types, queries };
}
