import {
  getArgumentValues,
  getDirectiveValues,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { sql, type Expression, type RawBuilder } from 'kysely';
import { mapPgColumn, type PgColumn } from '../arrow/pg-type-map.js';
import type { ColumnKind } from '../arrow/column-builder.js';
import type { StreamColumn } from '../arrow/record-batcher.js';
import { FlightError } from '../errors.js';
import { compileFilter } from '../sql/filter.js';
import { queryBuilder } from '../sql/query-builder.js';
import type { CompiledSql } from '../sql/sql-stream.js';
import type {
  FlightGraphqlSchema,
  ModelField,
  ModelQuery,
  ModelType,
  ScalarKind,
} from './fraiseql-schema.js';

/** What a GraphQL ticket compiles to: one statement and the Arrow columns of its rows. */
export interface CompiledGraphql {
  readonly query: ModelQuery;
  readonly statement: CompiledSql;
  readonly columns: readonly StreamColumn[];
  /** The row limit of the read, when it has one. */
  readonly limit?: number | undefined;
}

/** Inputs of {@link compileGraphql} beyond the parsed document. */
export interface CompileGraphqlOptions {
  readonly variables?: Readonly<Record<string, unknown>> | undefined;
  readonly operationName?: string | undefined;
  /** The backing view's columns (Decimal precision and scale come from them). */
  readonly viewColumns: (query: ModelQuery) => readonly PgColumn[];
  /**
   * How objects and lists are sent: `json` (Utf8 JSON text) or `arrow` (Struct and List).
   * @defaultValue 'json'
   */
  readonly nested?: 'json' | 'arrow' | undefined;
  /** Column of the backing view holding the tenant, and the caller's tenant (undefined: none). */
  readonly tenant?: { readonly column: string; readonly value: string } | undefined;
}

/** The PostgreSQL type a GraphQL scalar is read as (for the type map and filters). */
const PG_TYPE: Readonly<Record<ScalarKind, string>> = {
  int: 'int4',
  bigint: 'int8',
  float: 'float8',
  decimal: 'numeric',
  boolean: 'bool',
  string: 'text',
  datetime: 'timestamptz',
  date: 'date',
  time: 'time',
  json: 'jsonb',
};

/** Typed reads of a text value for comparisons (the cast is chosen from a fixed table). */
const CAST: Readonly<Record<ScalarKind, (text: RawBuilder<unknown>) => RawBuilder<unknown>>> = {
  int: (e) => sql`(${e})::int4`,
  bigint: (e) => sql`(${e})::int8`,
  float: (e) => sql`(${e})::float8`,
  decimal: (e) => sql`(${e})::numeric`,
  boolean: (e) => sql`(${e})::bool`,
  string: (e) => e,
  datetime: (e) => sql`(${e})::timestamptz`,
  date: (e) => sql`(${e})::date`,
  time: (e) => sql`(${e})::time`,
  json: (e) => e,
};

const MAX_DEPTH = 12;
const MAX_FIELDS = 1000;
/** jsonb_build_object takes at most 100 arguments: 50 pairs per call, joined with `||`. */
const PAIRS_PER_CALL = 50;

function invalid(message: string): FlightError {
  return new FlightError('INVALID_ARGUMENT', `graphql: ${message}`);
}

function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

const key = (name: string): RawBuilder<unknown> => sql`${sql.val(name)}::text`;
const jsonPath = (base: RawBuilder<unknown>, name: string): RawBuilder<unknown> =>
  sql`(${base} -> ${key(name)})`;
const textPath = (base: RawBuilder<unknown>, name: string): RawBuilder<unknown> =>
  sql`(${base} ->> ${key(name)})`;

class Compiler {
  readonly #fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  readonly #variables: Record<string, unknown>;
  #fieldCount = 0;

  constructor(
    fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    variables: Record<string, unknown>,
  ) {
    this.#fragments = fragments;
    this.#variables = variables;
  }

  /** Fields of a selection set by response key, through fragments and @skip/@include. */
  collect(
    selectionSet: SelectionSetNode,
    into = new Map<string, FieldNode[]>(),
    seen = new Set<string>(),
  ) {
    for (const selection of selectionSet.selections) {
      if (!this.#included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        const responseKey = selection.alias?.value ?? selection.name.value;
        const list = into.get(responseKey);
        if (list === undefined) into.set(responseKey, [selection]);
        else list.push(selection);
        if (++this.#fieldCount > MAX_FIELDS)
          throw invalid(`more than ${MAX_FIELDS} fields selected`);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        this.collect(selection.selectionSet, into, seen);
      } else {
        const name = selection.name.value;
        if (seen.has(name)) continue;
        seen.add(name);
        const fragment = this.#fragments.get(name);
        if (fragment !== undefined) this.collect(fragment.selectionSet, into, seen);
      }
    }
    return into;
  }

  #included(node: Parameters<typeof getDirectiveValues>[1]): boolean {
    const skip = getDirectiveValues(GraphQLSkipDirective, node, this.#variables);
    if (skip?.if === true) return false;
    const include = getDirectiveValues(GraphQLIncludeDirective, node, this.#variables);
    return include?.if !== false;
  }

  /** A jsonb expression holding only the selected fields of the object at `base`. */
  object(
    base: RawBuilder<unknown>,
    model: ModelType,
    nodes: readonly FieldNode[],
    depth: number,
  ): RawBuilder<unknown> {
    if (depth > MAX_DEPTH) throw invalid(`selection nested deeper than ${MAX_DEPTH} levels`);
    const selected = this.subselection(nodes);
    const pairs: RawBuilder<unknown>[] = [];
    for (const [responseKey, fieldNodes] of selected) {
      const name = fieldNodes[0]?.name.value ?? '';
      let value: RawBuilder<unknown>;
      if (name === '__typename') value = sql`to_jsonb(${key(model.name)})`;
      else {
        const field = model.fields.get(name);
        if (field === undefined) throw invalid(`${model.name}.${name}: no such field`);
        value = this.value(base, field, fieldNodes, depth);
      }
      pairs.push(key(responseKey), value);
    }
    const calls: RawBuilder<unknown>[] = [];
    for (let i = 0; i < pairs.length; i += PAIRS_PER_CALL * 2) {
      calls.push(sql`jsonb_build_object(${sql.join(pairs.slice(i, i + PAIRS_PER_CALL * 2))})`);
    }
    const built = calls.length === 0 ? sql`'{}'::jsonb` : sql.join(calls, sql` || `);
    return sql`CASE WHEN jsonb_typeof(${base}) = 'object' THEN ${built} END`;
  }

  /** The jsonb value of one field of the object at `base`, narrowed to its selection. */
  value(
    base: RawBuilder<unknown>,
    field: ModelField,
    nodes: readonly FieldNode[],
    depth: number,
  ): RawBuilder<unknown> {
    const at = jsonPath(base, field.name);
    if (field.object === undefined) return sql`nullif(${at}, 'null'::jsonb)`;
    if (!field.list) return this.object(at, field.object, nodes, depth + 1);
    const element = sql.id(`e${String(depth)}`);
    const ordinal = sql.id(`o${String(depth)}`);
    const item = this.object(sql`${element}`, field.object, nodes, depth + 1);
    return sql`CASE WHEN jsonb_typeof(${at}) = 'array' THEN (SELECT coalesce(jsonb_agg(${item} ORDER BY ${ordinal}), '[]'::jsonb) FROM jsonb_array_elements(${at}) WITH ORDINALITY AS ${sql.id(`t${String(depth)}`)}(${element}, ${ordinal})) END`;
  }

  subselection(nodes: readonly FieldNode[]): Map<string, FieldNode[]> {
    const into = new Map<string, FieldNode[]>();
    for (const node of nodes) {
      if (node.selectionSet === undefined)
        throw invalid(`${node.name.value}: needs a selection of fields`);
      this.collect(node.selectionSet, into);
    }
    return into;
  }
}

function leafKind(scalar: ScalarKind): ColumnKind {
  if (scalar === 'json') return { kind: 'utf8' };
  return mapPgColumn({ name: '', typeName: PG_TYPE[scalar], typmod: -1, category: '' }).kind;
}

/** The Arrow kind of an object or list field: Struct of the selection, List of its items. */
function nestedKind(
  compiler: Compiler,
  field: ModelField,
  nodes: readonly FieldNode[],
): ColumnKind {
  let item: ColumnKind;
  if (field.object === undefined) item = leafKind(field.scalar ?? 'json');
  else {
    const model = field.object;
    const fields = [...compiler.subselection(nodes)].map(([responseKey, subNodes]) => {
      const name = subNodes[0]?.name.value ?? '';
      if (name === '__typename') return { name: responseKey, kind: { kind: 'utf8' } as const };
      const child = model.fields.get(name);
      if (child === undefined) throw invalid(`${model.name}.${name}: no such field`);
      return {
        name: responseKey,
        kind:
          child.object === undefined && !child.list
            ? leafKind(child.scalar ?? 'json')
            : nestedKind(compiler, child, subNodes),
      };
    });
    item = { kind: 'struct', fields };
  }
  return field.list ? { kind: 'list', item } : item;
}

/**
 * Compiles a validated GraphQL document (one root field) into one parameterised statement over
 * the query's backing view, selecting only the requested fields out of its `data` document.
 *
 * @throws {FlightError} `INVALID_ARGUMENT` for more than one root field, bad variables or
 *   arguments.
 */
export function compileGraphql(
  model: FlightGraphqlSchema,
  document: DocumentNode,
  options: CompileGraphqlOptions,
): CompiledGraphql {
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode =>
      definition.kind === Kind.OPERATION_DEFINITION,
  );
  const operation =
    options.operationName === undefined
      ? operations.length === 1
        ? operations[0]
        : undefined
      : operations.find((candidate) => candidate.name?.value === options.operationName);
  if (operation === undefined) {
    throw invalid(
      options.operationName === undefined
        ? 'the document has several operations; set operationName'
        : `no operation named ${JSON.stringify(options.operationName)}`,
    );
  }
  if (operation.operation !== OperationTypeNode.QUERY)
    throw invalid('only queries can be read as Arrow');
  const coerced = getVariableValues(model.schema, operation.variableDefinitions ?? [], {
    ...(options.variables ?? {}),
  });
  if (coerced.errors !== undefined) {
    throw invalid(coerced.errors.map((error) => error.message).join('; '));
  }
  const variables = coerced.coerced;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition);
  }
  const compiler = new Compiler(fragments, variables);
  const roots = compiler.collect(operation.selectionSet);
  const rootNodes = [...roots.values()];
  if (rootNodes.length !== 1 || rootNodes[0] === undefined) {
    throw invalid('a ticket reads exactly one root query field');
  }
  const nodes = rootNodes[0];
  const rootName = nodes[0]?.name.value ?? '';
  const query = model.queries.get(rootName);
  if (query === undefined) throw invalid(`${rootName}: not a query of this schema`);
  const fieldDef = model.schema.getQueryType()?.getFields()[rootName];
  if (fieldDef === undefined || nodes[0] === undefined) throw invalid(`${rootName}: unknown`);
  let args: Record<string, unknown>;
  try {
    args = getArgumentValues(fieldDef, nodes[0], variables);
  } catch (cause) {
    throw new FlightError('INVALID_ARGUMENT', `graphql: ${(cause as Error).message}`, { cause });
  }

  const data = sql`${sql.id('v', 'data')}`;
  const viewColumns = new Map(options.viewColumns(query).map((column) => [column.name, column]));
  const selected = new Map<string, FieldNode[]>();
  for (const node of nodes) {
    if (node.selectionSet === undefined) throw invalid(`${rootName}: needs a selection of fields`);
    compiler.collect(node.selectionSet, selected);
  }
  const columns: StreamColumn[] = [];
  const expressions: Expression<unknown>[] = [];
  for (const [responseKey, fieldNodes] of selected) {
    const name = fieldNodes[0]?.name.value ?? '';
    if (name === '__typename') {
      columns.push({ name: responseKey, kind: { kind: 'utf8' } });
      expressions.push(key(query.type.name));
      continue;
    }
    const field = query.type.fields.get(name);
    if (field === undefined) throw invalid(`${query.type.name}.${name}: no such field`);
    if (field.scalar !== undefined && !field.list && field.scalar !== 'json') {
      const typed = viewColumns.get(snakeCase(field.name)) ?? viewColumns.get(field.name);
      const column: PgColumn = {
        name: field.name,
        typeName: PG_TYPE[field.scalar],
        typmod: field.scalar === 'decimal' && typed?.typeName === 'numeric' ? typed.typmod : -1,
        category: '',
      };
      columns.push({ name: responseKey, kind: mapPgColumn(column).kind });
      expressions.push(textPath(data, field.name));
    } else {
      // JSON, lists and objects: the selected part of the document as JSON text, which the
      // batcher turns into Struct/List columns when asked.
      columns.push({
        name: responseKey,
        kind:
          options.nested === 'arrow' ? nestedKind(compiler, field, fieldNodes) : { kind: 'utf8' },
      });
      expressions.push(compiler.value(data, field, fieldNodes, 0));
    }
  }
  if (columns.length === 0) throw invalid(`${rootName}: select at least one field`);

  const filterColumn = (name: string): Expression<unknown> | undefined => {
    const field = query.type.fields.get(name);
    if (field?.scalar === undefined || field.list) return undefined;
    return field.scalar === 'json'
      ? sql`nullif(${jsonPath(data, name)}, 'null'::jsonb)`
      : CAST[field.scalar](textPath(data, name));
  };
  let statement = queryBuilder
    .selectFrom(sql.id(query.viewSchema, query.view).as('v'))
    .select(expressions.map((expression, i) => sql`${expression}`.as(`c${String(i)}`)));
  const where = args.where as Record<string, unknown> | null | undefined;
  if (where !== undefined && where !== null && Object.keys(where).length > 0) {
    statement = statement.where((eb) => compileFilter(eb, where, filterColumn));
  }
  if (options.tenant !== undefined) {
    statement = statement.where(sql.id('v', options.tenant.column), '=', options.tenant.value);
  }
  const orderBy = (args.orderBy ?? []) as readonly { field: string; direction: 'asc' | 'desc' }[];
  if (orderBy.length > 32) throw invalid('orderBy: at most 32 fields');
  for (const [i, order] of orderBy.entries()) {
    const expression = filterColumn(order.field);
    if (expression === undefined) throw invalid(`orderBy[${i}].field: not a scalar field`);
    statement = statement.orderBy(expression, order.direction === 'desc' ? 'desc' : 'asc');
  }
  const bound = (name: 'limit' | 'offset'): number | undefined => {
    const value = args[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || value < 0) throw invalid(`${name}: must be 0 or more`);
    return value;
  };
  const limit = bound('limit') ?? (query.list ? undefined : 1);
  const offset = bound('offset');
  if (limit !== undefined) statement = statement.limit(limit);
  if (offset !== undefined) statement = statement.offset(offset);
  return { query, statement: statement.compile(), columns, limit };
}
