import type { SqlClient } from '@fraiseql/core';
import { sql } from 'kysely';
import { z } from 'zod';
import { mapPgColumn, type PgColumn } from '../arrow/pg-type-map.js';
import { RecordBatcher, type StreamColumn } from '../arrow/record-batcher.js';
import { hasAnyRole, type Principal } from '../auth/principal.js';
import { FlightError } from '../errors.js';
import { queryBuilder } from '../sql/query-builder.js';
import { relationColumnCache } from '../sql/relation-columns.js';
import { sqlStream } from '../sql/sql-stream.js';
import type { FlightListing, StreamContext, StreamHandler } from './flight-stream.js';

/** A table that may be exported in bulk, and by whom. */
export interface ExportGrant {
  /** Table (or view) name. */
  readonly name: string;
  /** @defaultValue 'public' */
  readonly schema?: string | undefined;
  /** Roles that may export it; every authenticated caller when absent. */
  readonly roles?: readonly string[] | undefined;
  /** Column holding the tenant; a tenant-bound caller exports only its rows. */
  readonly tenantColumn?: string | undefined;
  /** Columns that may be exported (all when absent); others are refused. */
  readonly columns?: readonly string[] | undefined;
}

/** Options of {@link createExportHandler}. */
export interface ExportHandlerOptions {
  readonly db: SqlClient;
  /** The allow-list. */
  readonly tables: readonly ExportGrant[];
  /** @defaultValue 600000 (exports are long reads) */
  readonly statementTimeoutMs?: number | undefined;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const exportRequestSchema = z
  .object({
    kind: z.literal('export').optional(),
    table: z.string().regex(IDENT, 'must be a table name'),
    schema: z.string().regex(IDENT).optional(),
    columns: z.array(z.string().min(1).max(63)).min(1).max(1600).optional(),
  })
  .strict();

/** A validated export request. */
export type ExportRequest = z.output<typeof exportRequestSchema>;

type Grant = ExportGrant & { readonly schema: string };

function invalid(message: string): FlightError {
  return new FlightError('INVALID_ARGUMENT', message);
}

/**
 * Bulk export (`kind: 'export'`) of allow-listed tables: the whole table or some columns,
 * streamed from a server-side cursor with the PostgreSQL → Arrow type map.
 */
export function createExportHandler(options: ExportHandlerOptions): StreamHandler<ExportRequest> & {
  refresh(): Promise<void>;
} {
  const { db } = options;
  const timeout = options.statementTimeoutMs ?? 600_000;
  const grants = new Map<string, Grant>();
  for (const grant of options.tables) {
    const schema = grant.schema ?? 'public';
    if (!IDENT.test(grant.name) || !IDENT.test(schema)) {
      throw invalid(`tables: ${JSON.stringify(grant.name)} is not a table name`);
    }
    grants.set(`${schema}.${grant.name}`, { ...grant, schema });
  }
  const columnCache = relationColumnCache(db);

  const grantOf = (request: ExportRequest): Grant => {
    const key = `${request.schema ?? 'public'}.${request.table}`;
    const grant = grants.get(key);
    if (grant === undefined)
      throw new FlightError('NOT_FOUND', `export ${key}: not an allowed table`);
    return grant;
  };

  const check = (grant: Grant, principal: Principal): string | undefined => {
    if (!hasAnyRole(principal, grant.roles)) {
      throw new FlightError('PERMISSION_DENIED', `export ${grant.name}: not allowed`);
    }
    if (principal.tenant === undefined) return undefined;
    if (grant.tenantColumn === undefined) {
      throw new FlightError(
        'PERMISSION_DENIED',
        `export ${grant.name}: not readable by a tenant-bound caller`,
      );
    }
    return principal.tenant;
  };

  const compile = async (request: ExportRequest, principal: Principal) => {
    const grant = grantOf(request);
    const tenant = check(grant, principal);
    const all = await columnCache.get(grant.schema, grant.name);
    const allowed = grant.columns === undefined ? undefined : new Set(grant.columns);
    const byName = new Map(all.map((column) => [column.name, column]));
    const names =
      request.columns ??
      all.map((column) => column.name).filter((name) => allowed?.has(name) ?? true);
    const selected: PgColumn[] = names.map((name, i) => {
      const column = byName.get(name);
      if (column === undefined || (allowed !== undefined && !allowed.has(name))) {
        throw invalid(
          `columns[${i}]: no exportable column ${JSON.stringify(name)} in ${grant.name}`,
        );
      }
      return column;
    });
    let query = queryBuilder
      .selectFrom(sql.id(grant.schema, grant.name).as('t'))
      .select(
        selected.map((column, i) =>
          (mapPgColumn(column).asJson
            ? sql`to_json(${sql.id(column.name)})`
            : sql`${sql.id(column.name)}`
          ).as(`c${String(i)}`),
        ),
      );
    if (tenant !== undefined && grant.tenantColumn !== undefined) {
      query = query.where(sql.id(grant.tenantColumn), '=', tenant);
    }
    const columns: StreamColumn[] = selected.map((column) => ({
      name: column.name,
      kind: mapPgColumn(column).kind,
    }));
    return { statement: query.compile(), columns };
  };

  return {
    kind: 'export',
    parse(input) {
      const parsed = exportRequestSchema.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw invalid(
          `export request: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim(),
        );
      }
      return { ...parsed.data, kind: 'export' };
    },
    authorize(request, principal) {
      check(grantOf(request), principal);
    },
    async schema(request, context: StreamContext) {
      const { columns } = await compile(request, context.principal);
      return new RecordBatcher(columns, context.batch).schema;
    },
    async open(request, context) {
      const { statement, columns } = await compile(request, context.principal);
      return sqlStream(db, statement, columns, context, {
        statementTimeoutMs: timeout,
        copy: true,
      });
    },
    list(principal): Promise<FlightListing[]> {
      return Promise.resolve(
        [...grants.values()]
          .filter((grant) => hasAnyRole(principal, grant.roles))
          .filter((grant) => principal.tenant === undefined || grant.tenantColumn !== undefined)
          .map((grant) => ({
            path: [
              'export',
              grant.schema === 'public' ? grant.name : `${grant.schema}.${grant.name}`,
            ],
            request: {
              table: grant.name,
              ...(grant.schema === 'public' ? {} : { schema: grant.schema }),
            },
          })),
      );
    },
    fromPath(path) {
      if (path.length !== 1 || path[0] === undefined) return undefined;
      const dot = path[0].indexOf('.');
      return dot < 0
        ? { table: path[0] }
        : { table: path[0].slice(dot + 1), schema: path[0].slice(0, dot) };
    },
    refresh() {
      columnCache.clear();
      return Promise.resolve();
    },
  };
}
