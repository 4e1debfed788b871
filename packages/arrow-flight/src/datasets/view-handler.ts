import type { SqlClient } from '@fraiseql/core';
import { sql, type Expression } from 'kysely';
import { z } from 'zod';
import { mapPgColumn, type PgColumn } from '../arrow/pg-type-map.js';
import { RecordBatcher, type StreamColumn } from '../arrow/record-batcher.js';
import { hasAnyRole, type Principal } from '../auth/principal.js';
import { FlightError } from '../errors.js';
import { compileFilter } from '../sql/filter.js';
import { queryBuilder } from '../sql/query-builder.js';
import { readRelationColumns } from '../sql/relation-columns.js';
import { copyPays, sqlStream } from '../sql/sql-stream.js';
import type { FlightListing, StreamContext, StreamHandler } from './flight-stream.js';

/** A view (or table-backed projection) that may be read, and by whom. */
export interface ViewGrant {
  /** `va_orders`, `ta_orders`, `tv_orders`: the `va_`/`ta_`/`tv_` prefix is required. */
  readonly name: string;
  /** @defaultValue 'public' */
  readonly schema?: string | undefined;
  /** Roles that may read it; all authenticated callers when absent. */
  readonly roles?: readonly string[] | undefined;
  /** Column holding the tenant; a caller with a tenant claim reads only its rows. */
  readonly tenantColumn?: string | undefined;
}

/** Options of {@link createViewHandler}. */
export interface ViewHandlerOptions {
  readonly db: SqlClient;
  /** The allow-list. */
  readonly views?: readonly ViewGrant[] | undefined;
  /**
   * Also allow every `va_`/`ta_`/`tv_` relation in these schemas, with these roles and tenant
   * column.
   */
  readonly discover?:
    | {
        readonly schemas?: readonly string[] | undefined;
        readonly roles?: readonly string[] | undefined;
        readonly tenantColumn?: string | undefined;
      }
    | undefined;
  /** @defaultValue 60000 */
  readonly statementTimeoutMs?: number | undefined;
}

const PREFIXED = /^(va|ta|tv)_[A-Za-z0-9_]{1,60}$/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const viewRequestSchema = z
  .object({
    kind: z.literal('view').optional(),
    view: z.string().regex(PREFIXED, 'must be a va_/ta_/tv_ view name'),
    schema: z.string().regex(IDENT).optional(),
    columns: z.array(z.string().min(1).max(63)).min(1).max(1600).optional(),
    where: z.record(z.string(), z.unknown()).optional(),
    orderBy: z
      .array(
        z.object({
          field: z.string().min(1).max(63),
          direction: z.enum(['asc', 'desc']).default('asc'),
        }),
      )
      .max(32)
      .optional(),
    limit: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();

/** A validated view read. */
export type ViewRequest = z.output<typeof viewRequestSchema>;

const DISCOVER_SQL = `
SELECT n.nspname AS schema, c.relname AS name
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'v', 'm', 'p')
  AND c.relname ~ '^(va|ta|tv)_'
ORDER BY 1, 2`;

interface Resolved {
  readonly grant: ViewGrant & { schema: string };
  readonly columns: readonly PgColumn[];
}

function invalid(message: string): FlightError {
  return new FlightError('INVALID_ARGUMENT', message);
}

/** Reads allow-listed `va_`/`ta_`/`tv_` views with structured filters, order and limit. */
export function createViewHandler(options: ViewHandlerOptions): StreamHandler<ViewRequest> & {
  refresh(): Promise<void>;
} {
  const { db } = options;
  const timeout = options.statementTimeoutMs ?? 60_000;
  const grants = new Map<string, ViewGrant & { schema: string }>();
  for (const grant of options.views ?? []) {
    if (!PREFIXED.test(grant.name)) {
      throw invalid(`views: ${JSON.stringify(grant.name)} is not a va_/ta_/tv_ name`);
    }
    const schema = grant.schema ?? 'public';
    grants.set(`${schema}.${grant.name}`, { ...grant, schema });
  }
  const columnCache = new Map<string, Promise<PgColumn[]>>();
  let discovered: Promise<Map<string, ViewGrant & { schema: string }>> | undefined;

  const discover = (): Promise<Map<string, ViewGrant & { schema: string }>> => {
    const settings = options.discover;
    if (settings === undefined) {
      return Promise.resolve(new Map<string, ViewGrant & { schema: string }>());
    }
    discovered ??= db
      .query<{ schema: string; name: string }>(DISCOVER_SQL, [
        [...(settings.schemas ?? ['public'])],
      ])
      .then(({ rows }) => {
        const found = new Map<string, ViewGrant & { schema: string }>();
        for (const row of rows) {
          if (!PREFIXED.test(row.name)) continue;
          found.set(`${row.schema}.${row.name}`, {
            name: row.name,
            schema: row.schema,
            roles: settings.roles,
            tenantColumn: settings.tenantColumn,
          });
        }
        return found;
      })
      .catch((error: unknown) => {
        discovered = undefined;
        throw error;
      });
    return discovered;
  };

  const grantOf = async (request: ViewRequest): Promise<ViewGrant & { schema: string }> => {
    const key = `${request.schema ?? 'public'}.${request.view}`;
    const grant = grants.get(key) ?? (await discover()).get(key);
    if (grant === undefined)
      throw new FlightError('NOT_FOUND', `view ${key}: not an allowed dataset`);
    return grant;
  };

  const columnsOf = (grant: ViewGrant & { schema: string }): Promise<PgColumn[]> => {
    const key = `${grant.schema}.${grant.name}`;
    let cached = columnCache.get(key);
    if (cached === undefined) {
      cached = readRelationColumns(db, grant.schema, grant.name);
      cached.catch(() => columnCache.delete(key));
      columnCache.set(key, cached);
    }
    return cached;
  };

  const resolve = async (request: ViewRequest): Promise<Resolved> => {
    const grant = await grantOf(request);
    return { grant, columns: await columnsOf(grant) };
  };

  const selected = (request: ViewRequest, resolved: Resolved): PgColumn[] => {
    if (request.columns === undefined) return [...resolved.columns];
    const byName = new Map(resolved.columns.map((column) => [column.name, column]));
    return request.columns.map((name, i) => {
      const column = byName.get(name);
      if (column === undefined)
        throw invalid(`columns[${i}]: no column ${JSON.stringify(name)} in ${request.view}`);
      return column;
    });
  };

  const streamColumns = (columns: readonly PgColumn[]): StreamColumn[] =>
    columns.map((column) => ({ name: column.name, kind: mapPgColumn(column).kind }));

  const tenantOf = (grant: ViewGrant, principal: Principal): string | undefined => {
    if (principal.tenant === undefined) return undefined;
    if (grant.tenantColumn === undefined) {
      throw new FlightError(
        'PERMISSION_DENIED',
        `view ${grant.name}: not readable by a tenant-bound caller`,
      );
    }
    return principal.tenant;
  };

  const compile = (request: ViewRequest, resolved: Resolved, principal: Principal) => {
    const columns = selected(request, resolved);
    const known = new Set(resolved.columns.map((column) => column.name));
    const ref = (name: string): Expression<unknown> | undefined =>
      known.has(name) ? sql.id(name) : undefined;
    const tenant = tenantOf(resolved.grant, principal);
    let query = queryBuilder
      .selectFrom(sql.id(resolved.grant.schema, resolved.grant.name).as('v'))
      .select(
        columns.map((column, i) => {
          const expression = mapPgColumn(column).asJson
            ? sql`to_json(${sql.id(column.name)})`
            : sql.id(column.name);
          return expression.as(`c${String(i)}`);
        }),
      );
    if (request.where !== undefined) {
      const where = request.where;
      query = query.where((eb) => compileFilter(eb, where, ref));
    }
    if (tenant !== undefined && resolved.grant.tenantColumn !== undefined) {
      const tenantColumn = resolved.grant.tenantColumn;
      query = query.where(sql.id(tenantColumn), '=', tenant);
    }
    for (const [i, order] of (request.orderBy ?? []).entries()) {
      const expression = ref(order.field);
      if (expression === undefined)
        throw invalid(`orderBy[${i}].field: no column ${JSON.stringify(order.field)}`);
      query = query.orderBy(expression, order.direction);
    }
    if (request.limit !== undefined) query = query.limit(request.limit);
    if (request.offset !== undefined) query = query.offset(request.offset);
    return { statement: query.compile(), columns };
  };

  return {
    kind: 'view',
    parse(input) {
      const parsed = viewRequestSchema.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw invalid(
          `view request: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim(),
        );
      }
      return { ...parsed.data, kind: 'view' };
    },
    authorize(request, principal) {
      const key = `${request.schema ?? 'public'}.${request.view}`;
      const grant = grants.get(key);
      // Discovered views are checked in schema()/open(), which resolve them first.
      if (grant !== undefined && !hasAnyRole(principal, grant.roles)) {
        throw new FlightError('PERMISSION_DENIED', `view ${key}: not allowed`);
      }
    },
    async schema(request, context: StreamContext) {
      const resolved = await resolve(request);
      if (!hasAnyRole(context.principal, resolved.grant.roles)) {
        throw new FlightError('PERMISSION_DENIED', `view ${request.view}: not allowed`);
      }
      const { columns } = compile(request, resolved, context.principal);
      return new RecordBatcher(streamColumns(columns), context.batch).schema;
    },
    async open(request, context) {
      const resolved = await resolve(request);
      if (!hasAnyRole(context.principal, resolved.grant.roles)) {
        throw new FlightError('PERMISSION_DENIED', `view ${request.view}: not allowed`);
      }
      const { statement, columns } = compile(request, resolved, context.principal);
      return sqlStream(db, statement, streamColumns(columns), context, {
        statementTimeoutMs: timeout,
        copy: copyPays(request.limit),
      });
    },
    async list(principal): Promise<FlightListing[]> {
      const all = new Map([...(await discover()), ...grants]);
      return [...all.values()]
        .filter((grant) => hasAnyRole(principal, grant.roles))
        .filter((grant) => principal.tenant === undefined || grant.tenantColumn !== undefined)
        .map((grant) => ({
          path: ['view', grant.schema === 'public' ? grant.name : `${grant.schema}.${grant.name}`],
          request: {
            view: grant.name,
            ...(grant.schema === 'public' ? {} : { schema: grant.schema }),
          },
        }));
    },
    fromPath(path) {
      if (path.length !== 1 || path[0] === undefined) return undefined;
      const dot = path[0].indexOf('.');
      const schema = dot < 0 ? 'public' : path[0].slice(0, dot);
      const view = dot < 0 ? path[0] : path[0].slice(dot + 1);
      return { view, ...(schema === 'public' ? {} : { schema }) };
    },
    refresh() {
      columnCache.clear();
      discovered = undefined;
      return Promise.resolve();
    },
  };
}
