import { create, toBinary } from '@bufbuild/protobuf';
import type { SqlClient } from '@fraiseql/core';
import { DataType, type RecordBatch, type Schema } from 'apache-arrow';
import { hasAnyRole, type Principal } from '../auth/principal.js';
import { FlightError } from '../errors.js';
import { decodeFlightSqlAny, unpackAs } from '../flight-sql/any-command.js';
import { arrowValueToPg, type PgParameter } from '../flight-sql/arrow-values.js';
import {
  CommandStatementIngest_TableDefinitionOptions_TableExistsOption as TableExistsOption,
  CommandStatementIngestSchema,
  DoPutUpdateResultSchema,
} from '../gen/FlightSql_pb.js';
import type { StreamHandler } from '../datasets/flight-stream.js';
import type { FlightExtension, PutConsumer, PutTarget } from '../server/flight-extension.js';
import { loadTargetColumns, uploadSchemaOf, type TargetColumn } from './target-columns.js';

/** A `tb_` table uploads may write into. */
export interface IngestGrant {
  /** @defaultValue 'public' */
  readonly schema?: string | undefined;
  /** Must start with `tb_`. */
  readonly name: string;
  /** Roles that may write; every authenticated caller when absent. */
  readonly roles?: readonly string[] | undefined;
  /** A tenant-bound caller's rows get its tenant here; a row naming another tenant is refused. */
  readonly tenantColumn?: string | undefined;
}

/**
 * An upload target that is also a server extension: pass it in `extensions` (DoPut, and
 * GetSchema of `{"kind": "ingest", "table": "tb_…"}` answering the Arrow schema the table
 * accepts, with each column's PostgreSQL type in its metadata), or in an extension's
 * `putTargets` (DoPut only).
 */
export interface TableIngest extends PutTarget, FlightExtension {
  readonly putTargets: readonly PutTarget[];
  readonly handlers: readonly StreamHandler[];
}

/** Options of {@link createTableIngest}. */
export interface TableIngestOptions {
  readonly db: SqlClient;
  readonly tables: readonly IngestGrant[];
  /** @defaultValue 300000 */
  readonly statementTimeoutMs?: number | undefined;
}

const TB = /^tb_[A-Za-z0-9_]{1,60}$/;
const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const invalid = (message: string) => new FlightError('INVALID_ARGUMENT', message);

/** Whether an Arrow column can be written into a PostgreSQL column of this type. */
function compatible(type: DataType, column: TargetColumn): boolean {
  const name = column.typeName;
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return true; // PostgreSQL parses text
  if (DataType.isInt(type))
    return ['int2', 'int4', 'int8', 'numeric', 'float4', 'float8', 'oid'].includes(name);
  if (DataType.isFloat(type)) return ['float4', 'float8', 'numeric'].includes(name);
  if (DataType.isDecimal(type)) return ['numeric', 'float4', 'float8'].includes(name);
  if (DataType.isBool(type)) return name === 'bool';
  if (DataType.isTimestamp(type)) return ['timestamptz', 'timestamp', 'date'].includes(name);
  if (DataType.isDate(type)) return ['date', 'timestamp', 'timestamptz'].includes(name);
  if (DataType.isBinary(type)) return name === 'bytea';
  if (DataType.isList(type) || DataType.isStruct(type)) {
    return ['json', 'jsonb'].includes(name);
  }
  return false;
}

/**
 * DoPut into allow-listed `tb_` tables: the descriptor is Flight SQL's `CommandStatementIngest`
 * (append) or the JSON command `{"kind": "ingest", "table": "tb_…"}`. Columns are mapped by
 * name and their types checked against the table before the first row is written; the whole
 * stream is one transaction, so the upload is all or nothing, and rows go through the table's
 * triggers (the capture trigger turns them into change-log events). The answer is a
 * `DoPutUpdateResult` with the row count.
 */
export function createTableIngest(options: TableIngestOptions): TableIngest {
  const { db } = options;
  const grants = new Map<string, IngestGrant & { schema: string }>();
  for (const grant of options.tables) {
    if (!TB.test(grant.name))
      throw invalid(`ingest tables: ${JSON.stringify(grant.name)} is not a tb_ table`);
    const schema = grant.schema ?? 'public';
    grants.set(`${schema}.${grant.name}`, { ...grant, schema });
  }

  const grantFor = (schemaName: string, table: string, principal: Principal) => {
    const grant = grants.get(`${schemaName}.${table}`);
    if (grant === undefined) {
      throw new FlightError('NOT_FOUND', `ingest: ${schemaName}.${table} is not an upload target`);
    }
    if (!hasAnyRole(principal, grant.roles)) {
      throw new FlightError('PERMISSION_DENIED', `ingest: ${schemaName}.${table}: not allowed`);
    }
    if (principal.tenant !== undefined && grant.tenantColumn === undefined) {
      throw new FlightError(
        'PERMISSION_DENIED',
        `ingest: ${table}: not writable by a tenant-bound caller`,
      );
    }
    return grant;
  };
  const columnsOf = async (grant: IngestGrant & { schema: string }) => {
    const columns = await loadTargetColumns(db, grant.schema, grant.name);
    if (columns.length === 0)
      throw new FlightError('NOT_FOUND', `ingest: ${grant.name} does not exist`);
    return columns;
  };

  const consumer =
    (schemaName: string, table: string): PutConsumer =>
    async (batches, context) => {
      const grant = grantFor(schemaName, table, context.principal);
      const columns = await columnsOf(grant);
      let total = 0;
      await db.transaction(async (tx) => {
        let plan: { targets: TargetColumn[]; sql: string } | undefined;
        // One INSERT in flight while the next batch is read and converted: the database and
        // this process work at the same time. Each failure still names its own rows.
        let inFlight: Promise<void> | undefined;
        for await (const batch of batches) {
          plan ??= planInsert(batch.schema, columns, grant, context.principal);
          if (batch.numRows === 0) continue;
          const parameters = arraysOf(batch, plan.targets, grant, context.principal, total);
          await inFlight;
          const first = total;
          const rows = batch.numRows;
          inFlight = tx.query(plan.sql, parameters).then(
            () => undefined,
            (error: unknown) => {
              throw rowError(error, first, rows);
            },
          );
          // Observed by the next await; this only keeps a failure during the next read from
          // surfacing as unhandled.
          inFlight.catch(() => undefined);
          total += rows;
          if (context.signal.aborted) break;
        }
        await inFlight;
        // A stream cut mid-way must not commit what arrived before the cut (DoPut ends the
        // batches only after ruling out a reset behind the client's half-close).
        if (context.signal.aborted) {
          throw new FlightError(
            'CANCELLED',
            'ingest: the upload was cancelled; nothing was written',
          );
        }
      });
      return [
        toBinary(
          DoPutUpdateResultSchema,
          create(DoPutUpdateResultSchema, { recordCount: BigInt(total) }),
        ),
      ];
    };

  const schemaHandler: StreamHandler<{ schema: string; table: string }> = {
    kind: 'ingest',
    parse(input) {
      const request = input as { table?: unknown; schema?: unknown };
      if (typeof request.table !== 'string') throw invalid('ingest: "table" must name a tb_ table');
      return {
        schema: typeof request.schema === 'string' ? request.schema : 'public',
        table: request.table,
      };
    },
    authorize(request, principal) {
      grantFor(request.schema, request.table, principal);
    },
    async schema(request, context) {
      return uploadSchemaOf(
        await columnsOf(grantFor(request.schema, request.table, context.principal)),
      );
    },
    open() {
      return Promise.reject(
        invalid('ingest: an upload target is written with DoPut; it cannot be read'),
      );
    },
    list: () => Promise.resolve([]),
    fromPath: () => undefined,
  };

  const target: PutTarget = {
    accept(cmd) {
      const decoded = decodeFlightSqlAny(cmd);
      if (decoded?.typeName === 'CommandStatementIngest') {
        const command = unpackAs(decoded.any, CommandStatementIngestSchema);
        const options = command.tableDefinitionOptions;
        // Only "append to an existing table": FraiseQL never creates or replaces tables.
        if (command.temporary || command.transactionId !== undefined) {
          throw new FlightError(
            'UNIMPLEMENTED',
            'ingest: temporary tables and transactions are not supported',
          );
        }
        if (
          options !== undefined &&
          options.ifExists !== TableExistsOption.UNSPECIFIED &&
          options.ifExists !== TableExistsOption.APPEND
        ) {
          throw new FlightError(
            'UNIMPLEMENTED',
            'ingest: only appending to an existing table is supported',
          );
        }
        return consumer(command.schema ?? 'public', command.table);
      }
      if (cmd[0] !== 0x7b) return undefined; // '{'
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(cmd));
      } catch {
        return undefined;
      }
      const request = parsed as { kind?: unknown; table?: unknown; schema?: unknown };
      if (request.kind !== 'ingest') return undefined;
      if (typeof request.table !== 'string') throw invalid('ingest: "table" must name a tb_ table');
      return consumer(
        typeof request.schema === 'string' ? request.schema : 'public',
        request.table,
      );
    },
  };
  return { accept: (cmd) => target.accept(cmd), putTargets: [target], handlers: [schemaHandler] };
}

function planInsert(
  schema: Schema,
  columns: readonly TargetColumn[],
  grant: IngestGrant & { schema: string },
  principal: Principal,
): { targets: TargetColumn[]; sql: string } {
  const byName = new Map(columns.map((column) => [column.name, column]));
  const targets = schema.fields.map((field, i) => {
    const column = byName.get(field.name);
    if (column === undefined) {
      throw invalid(
        `ingest: column ${i} ${JSON.stringify(field.name)} is not a column of ${grant.name}`,
      );
    }
    if (!compatible(field.type as DataType, column)) {
      throw invalid(
        `ingest: column ${JSON.stringify(field.name)} is ${String(field.type)}, which cannot be written into ${column.typeSql}`,
      );
    }
    return column;
  });
  const tenant = grant.tenantColumn;
  if (
    principal.tenant !== undefined &&
    tenant !== undefined &&
    !targets.some((t) => t.name === tenant)
  ) {
    const column = byName.get(tenant);
    if (column !== undefined) targets.push(column);
  }
  const names = targets.map((target) => quote(target.name)).join(', ');
  const arrays = targets.map((target, i) => `$${String(i + 1)}::${target.typeSql}[]`).join(', ');
  return {
    targets,
    sql: `INSERT INTO ${quote(grant.schema)}.${quote(grant.name)} (${names}) SELECT * FROM unnest(${arrays})`,
  };
}

function arraysOf(
  batch: RecordBatch,
  targets: readonly TargetColumn[],
  grant: IngestGrant,
  principal: Principal,
  offset: number,
): PgParameter[][] {
  return targets.map((target, i) => {
    const vector = batch.getChildAt(i);
    if (vector === null) {
      // The tenant column appended for a tenant-bound caller.
      return Array.from({ length: batch.numRows }, () => principal.tenant ?? null);
    }
    const values: PgParameter[] = new Array<PgParameter>(batch.numRows);
    for (let row = 0; row < batch.numRows; row++) {
      const value = arrowValueToPg(vector, row);
      if (
        principal.tenant !== undefined &&
        target.name === grant.tenantColumn &&
        value !== null &&
        String(value) !== principal.tenant
      ) {
        throw new FlightError(
          'PERMISSION_DENIED',
          `ingest: row ${offset + row}, column ${JSON.stringify(target.name)}: another tenant's row`,
        );
      }
      values[row] =
        target.name === grant.tenantColumn && principal.tenant !== undefined
          ? principal.tenant
          : value;
    }
    return values;
  });
}

interface PgErrorLike {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  column?: unknown;
  constraint?: unknown;
}

/** A PostgreSQL refusal of a batch as INVALID_ARGUMENT naming the rows and what was wrong. */
function rowError(error: unknown, offset: number, rows: number): FlightError {
  const pg = error as PgErrorLike;
  if (typeof pg.code === 'string' && /^(22|23|42)/.test(pg.code)) {
    const detail = typeof pg.detail === 'string' ? ` (${pg.detail})` : '';
    const column = typeof pg.column === 'string' ? `, column ${JSON.stringify(pg.column)}` : '';
    return new FlightError(
      'INVALID_ARGUMENT',
      `ingest: rows ${offset}–${offset + rows - 1}${column}: ${String(pg.message)}${detail}; nothing was written`,
      { cause: error },
    );
  }
  if (error instanceof FlightError) return error;
  return new FlightError('INTERNAL', 'ingest: writing the batch failed', { cause: error });
}
