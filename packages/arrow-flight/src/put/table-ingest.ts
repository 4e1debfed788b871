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
import type { PutConsumer, PutTarget } from '../server/flight-extension.js';

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

/** Options of {@link createTableIngest}. */
export interface TableIngestOptions {
  readonly db: SqlClient;
  readonly tables: readonly IngestGrant[];
  /** @defaultValue 300000 */
  readonly statementTimeoutMs?: number | undefined;
}

interface TargetColumn {
  readonly name: string;
  /** `format_type` of the column, used to cast the uploaded array. */
  readonly typeSql: string;
  readonly typeName: string;
  readonly category: string;
}

const COLUMNS_SQL = `
SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type_sql,
       t.typname AS type_name, t.typcategory AS category
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
ORDER BY a.attnum`;

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
export function createTableIngest(options: TableIngestOptions): PutTarget {
  const { db } = options;
  const grants = new Map<string, IngestGrant & { schema: string }>();
  for (const grant of options.tables) {
    if (!TB.test(grant.name))
      throw invalid(`ingest tables: ${JSON.stringify(grant.name)} is not a tb_ table`);
    const schema = grant.schema ?? 'public';
    grants.set(`${schema}.${grant.name}`, { ...grant, schema });
  }

  const consumer =
    (schemaName: string, table: string): PutConsumer =>
    async (batches, context) => {
      const grant = grants.get(`${schemaName}.${table}`);
      if (grant === undefined) {
        throw new FlightError(
          'NOT_FOUND',
          `ingest: ${schemaName}.${table} is not an upload target`,
        );
      }
      if (!hasAnyRole(context.principal, grant.roles)) {
        throw new FlightError('PERMISSION_DENIED', `ingest: ${schemaName}.${table}: not allowed`);
      }
      if (context.principal.tenant !== undefined && grant.tenantColumn === undefined) {
        throw new FlightError(
          'PERMISSION_DENIED',
          `ingest: ${table}: not writable by a tenant-bound caller`,
        );
      }
      const columns = (
        await db.query<{ name: string; type_sql: string; type_name: string; category: string }>(
          COLUMNS_SQL,
          [grant.schema, grant.name],
        )
      ).rows.map((row) => ({
        name: row.name,
        typeSql: row.type_sql,
        typeName: row.type_name,
        category: row.category,
      }));
      if (columns.length === 0)
        throw new FlightError('NOT_FOUND', `ingest: ${table} does not exist`);
      let total = 0;
      await db.transaction(async (tx) => {
        let plan: { targets: TargetColumn[]; sql: string } | undefined;
        for await (const batch of batches) {
          plan ??= planInsert(batch.schema, columns, grant, context.principal);
          if (batch.numRows === 0) continue;
          const parameters = arraysOf(batch, plan.targets, grant, context.principal, total);
          try {
            await tx.query(plan.sql, parameters);
          } catch (error) {
            throw rowError(error, total, batch.numRows);
          }
          total += batch.numRows;
          if (context.signal.aborted) break;
        }
        // A stream cut mid-way must not commit what arrived before the cut. A client that
        // cancels can have its HTTP/2 stream half-closed just before the reset arrives, so
        // the reset gets a moment to land before the commit.
        await new Promise((resolve) => setTimeout(resolve, 25));
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

  return {
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
