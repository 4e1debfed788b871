import type { SqlClient } from '@fraiseql/core';
import { parse, validate, type DocumentNode, type GraphQLError } from 'graphql';
import { z } from 'zod';
import { RecordBatcher } from '../arrow/record-batcher.js';
import { hasAnyRole, type Principal } from '../auth/principal.js';
import { FlightError } from '../errors.js';
import {
  buildFlightGraphqlSchema,
  type FlightGraphqlSchema,
  type ModelQuery,
} from '../graphql/fraiseql-schema.js';
import { CompileCache } from '../graphql/compile-cache.js';
import { compileGraphql, type CompiledGraphql } from '../graphql/graphql-compiler.js';
import { relationColumnCache } from '../sql/relation-columns.js';
import { copyPays, sqlStream } from '../sql/sql-stream.js';
import type { FlightListing, StreamContext, StreamHandler } from './flight-stream.js';

/** Who may read a GraphQL query, and the column of its view that holds the tenant. */
export interface GraphqlQueryGrant {
  /** The query (root field) name. */
  readonly name: string;
  /** Roles that may read it; every authenticated caller when absent. */
  readonly roles?: readonly string[] | undefined;
  /** Column of the backing view holding the tenant; a tenant-bound caller reads only its rows. */
  readonly tenantColumn?: string | undefined;
}

/** Options of {@link createGraphqlHandler}. */
export interface GraphqlHandlerOptions {
  readonly db: SqlClient;
  /** The FraiseQL schema JSON (`types`, `queries` with `sql_source`), parsed or as text. */
  readonly schema: unknown;
  /**
   * The queries that may be read. When absent, every query of the schema, with the roles and
   * tenant column below.
   */
  readonly queries?: readonly GraphqlQueryGrant[] | undefined;
  /** Roles for queries without a grant of their own (when `queries` is absent). */
  readonly roles?: readonly string[] | undefined;
  /** Tenant column for queries without a grant of their own (when `queries` is absent). */
  readonly tenantColumn?: string | undefined;
  /** @defaultValue 60000 */
  readonly statementTimeoutMs?: number | undefined;
  /**
   * Largest query text, characters.
   * @defaultValue 100000
   */
  readonly maxQueryLength?: number | undefined;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const MAX_TOKENS = 20_000;
const PARSE_CACHE = 256;
const COMPILE_CACHE = 256;
/** Longest request (query, variables, options as JSON) whose compilation is kept. */
const MAX_CACHED_REQUEST = 64 * 1024;

/** A GraphQL ticket request, as sent in a CMD descriptor. */
export interface GraphqlRequest {
  readonly kind?: 'graphql' | undefined;
  readonly query: string;
  readonly variables?: Readonly<Record<string, unknown>> | undefined;
  readonly operationName?: string | undefined;
  /**
   * Objects and lists as Utf8 JSON text (`json`) or as Arrow Struct and List (`arrow`).
   * @defaultValue 'json'
   */
  readonly nested?: 'json' | 'arrow' | undefined;
}

function invalid(message: string): FlightError {
  return new FlightError('INVALID_ARGUMENT', message);
}

function schemaInput(schema: unknown): unknown {
  if (typeof schema !== 'string') return schema;
  try {
    return JSON.parse(schema) as unknown;
  } catch (cause) {
    throw new FlightError('INVALID_ARGUMENT', 'graphql schema: not valid JSON', { cause });
  }
}

/**
 * Serves GraphQL queries as Arrow streams (`kind: 'graphql'`): each ticket's query is parsed and
 * validated against the FraiseQL schema and compiled to one parameterised SQL statement over
 * the query's backing view, selecting only the requested fields out of its `data` document.
 */
export function createGraphqlHandler(
  options: GraphqlHandlerOptions,
): StreamHandler<GraphqlRequest> & {
  refresh(): Promise<void>;
  readonly graphqlSchema: FlightGraphqlSchema;
} {
  const { db } = options;
  const model = buildFlightGraphqlSchema(schemaInput(options.schema));
  const timeout = options.statementTimeoutMs ?? 60_000;
  const maxLength = options.maxQueryLength ?? 100_000;
  const grants = new Map<string, GraphqlQueryGrant>();
  if (options.queries === undefined) {
    for (const name of model.queries.keys()) {
      grants.set(name, { name, roles: options.roles, tenantColumn: options.tenantColumn });
    }
  } else {
    for (const grant of options.queries) {
      if (!model.queries.has(grant.name)) {
        throw invalid(`queries: ${JSON.stringify(grant.name)} is not a query of the schema`);
      }
      grants.set(grant.name, grant);
    }
  }
  for (const grant of grants.values()) {
    if (grant.tenantColumn !== undefined && !IDENT.test(grant.tenantColumn)) {
      throw invalid(`queries: tenant column of ${grant.name} is not a column name`);
    }
  }
  const columns = relationColumnCache(db);
  const parsedDocuments = new Map<string, DocumentNode>();
  // Compilations by request: the shape (no view columns; for parse and authorize) and the
  // statement (with the view's columns and the caller's tenant; cleared by refresh).
  const shapes = new CompileCache<CompiledGraphql>(COMPILE_CACHE, MAX_CACHED_REQUEST);
  const statements = new CompileCache<CompiledGraphql>(COMPILE_CACHE, MAX_CACHED_REQUEST);
  const requestKey = (request: GraphqlRequest): string =>
    JSON.stringify([
      request.query,
      request.variables ?? null,
      request.operationName ?? null,
      request.nested ?? null,
    ]);
  const shapeOf = (request: GraphqlRequest, key = requestKey(request)): CompiledGraphql =>
    shapes.get(key, () =>
      compileGraphql(model, documentOf(request.query), { ...request, viewColumns: () => [] }),
    );

  const requestSchema = z
    .object({
      kind: z.literal('graphql').optional(),
      query: z.string().min(1).max(maxLength),
      variables: z.record(z.string(), z.unknown()).optional(),
      operationName: z.string().regex(IDENT).optional(),
      nested: z.enum(['json', 'arrow']).optional(),
    })
    .strict();

  const documentOf = (text: string): DocumentNode => {
    const cached = parsedDocuments.get(text);
    if (cached !== undefined) return cached;
    let document: DocumentNode;
    try {
      document = parse(text, { maxLexicalTokens: MAX_TOKENS, noLocation: true });
    } catch (cause) {
      throw new FlightError('INVALID_ARGUMENT', `graphql: ${(cause as GraphQLError).message}`, {
        cause,
      });
    }
    const errors = validate(model.schema, document);
    if (errors.length > 0) {
      throw invalid(`graphql: ${errors.map((error) => error.message).join('; ')}`);
    }
    if (parsedDocuments.size >= PARSE_CACHE) {
      const oldest = parsedDocuments.keys().next().value;
      if (oldest !== undefined) parsedDocuments.delete(oldest);
    }
    parsedDocuments.set(text, document);
    return document;
  };

  const grantOf = (query: ModelQuery): GraphqlQueryGrant => {
    const grant = grants.get(query.name);
    if (grant === undefined)
      throw new FlightError('NOT_FOUND', `graphql query ${query.name}: not allowed`);
    return grant;
  };

  const tenantOf = (grant: GraphqlQueryGrant, principal: Principal) => {
    if (principal.tenant === undefined) return undefined;
    if (grant.tenantColumn === undefined) {
      throw new FlightError(
        'PERMISSION_DENIED',
        `graphql query ${grant.name}: not readable by a tenant-bound caller`,
      );
    }
    return { column: grant.tenantColumn, value: principal.tenant };
  };

  /** Compiles with the view's real columns; checks roles and the tenant on the way. */
  const compile = async (
    request: GraphqlRequest,
    principal: Principal,
  ): Promise<CompiledGraphql> => {
    const key = requestKey(request);
    const shape = shapeOf(request, key);
    const grant = grantOf(shape.query);
    if (!hasAnyRole(principal, grant.roles)) {
      throw new FlightError('PERMISSION_DENIED', `graphql query ${grant.name}: not allowed`);
    }
    const tenant = tenantOf(grant, principal);
    const viewColumns = await columns.get(shape.query.viewSchema, shape.query.view);
    if (tenant !== undefined && !viewColumns.some((column) => column.name === tenant.column)) {
      throw new FlightError(
        'INTERNAL',
        `graphql query ${grant.name}: view has no tenant column ${tenant.column}`,
      );
    }
    const tenantKey = tenant === undefined ? '' : JSON.stringify([tenant.column, tenant.value]);
    return statements.get(`${key}\u0000${tenantKey}`, () =>
      compileGraphql(model, documentOf(request.query), {
        ...request,
        viewColumns: () => viewColumns,
        tenant,
      }),
    );
  };

  const scalarQuery = (query: ModelQuery): string => {
    const fields = [...query.type.fields.values()]
      .filter((field) => field.scalar !== undefined && !field.list)
      .map((field) => field.name);
    return `{ ${query.name} { ${fields.length === 0 ? '__typename' : fields.join(' ')} } }`;
  };

  return {
    kind: 'graphql',
    graphqlSchema: model,
    parse(input) {
      const parsed = requestSchema.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw invalid(
          `graphql request: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim(),
        );
      }
      const request: GraphqlRequest = { ...parsed.data, kind: 'graphql' };
      // Refuse what cannot run now rather than at DoGet: syntax, validation, variables, roots.
      shapeOf(request);
      return request;
    },
    authorize(request, principal) {
      const grant = grantOf(shapeOf(request).query);
      if (!hasAnyRole(principal, grant.roles)) {
        throw new FlightError('PERMISSION_DENIED', `graphql query ${grant.name}: not allowed`);
      }
      tenantOf(grant, principal);
    },
    async schema(request, context: StreamContext) {
      const compiled = await compile(request, context.principal);
      return new RecordBatcher(compiled.columns, context.batch).schema;
    },
    async open(request, context) {
      const compiled = await compile(request, context.principal);
      return sqlStream(db, compiled.statement, compiled.columns, context, {
        statementTimeoutMs: timeout,
        copy: copyPays(compiled.limit),
      });
    },
    list(principal): Promise<FlightListing[]> {
      const listings: FlightListing[] = [];
      for (const query of model.queries.values()) {
        const grant = grants.get(query.name);
        if (grant === undefined || !hasAnyRole(principal, grant.roles)) continue;
        if (principal.tenant !== undefined && grant.tenantColumn === undefined) continue;
        listings.push({ path: ['graphql', query.name], request: { query: scalarQuery(query) } });
      }
      return Promise.resolve(listings);
    },
    fromPath(path) {
      if (path.length !== 1 || path[0] === undefined) return undefined;
      const query = model.queries.get(path[0]);
      return query === undefined ? undefined : { query: scalarQuery(query) };
    },
    refresh() {
      columns.clear();
      statements.clear();
      return Promise.resolve();
    },
  };
}
