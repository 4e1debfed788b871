import { create } from '@bufbuild/protobuf';
import type { SqlClient } from '@fraiseql/core';
import type { RecordBatch } from 'apache-arrow';
import { z } from 'zod';
import { mapPgColumn, type PgColumn } from '../arrow/pg-type-map.js';
import { RecordBatcher, type StreamColumn } from '../arrow/record-batcher.js';
import type { Principal } from '../auth/principal.js';
import type {
  BatchLimits,
  FlightStream,
  StreamContext,
  StreamHandler,
} from '../datasets/flight-stream.js';
import { FlightError } from '../errors.js';
import {
  ActionClosePreparedStatementRequestSchema,
  ActionCreatePreparedStatementRequestSchema,
  ActionCreatePreparedStatementResultSchema,
  CommandGetDbSchemasSchema,
  CommandGetPrimaryKeysSchema,
  CommandGetSqlInfoSchema,
  CommandGetTablesSchema,
  CommandPreparedStatementQuerySchema,
  CommandStatementQuerySchema,
  DoPutPreparedStatementResultSchema,
  TicketStatementQuerySchema,
} from '../gen/FlightSql_pb.js';
import { encapsulatedSchema } from '../ipc/ipc-encoder.js';
import type { CommandDecoder } from '../server/descriptor-router.js';
import type { FlightAction, FlightExtension, PutTarget } from '../server/flight-extension.js';
import { readRelationColumns } from '../sql/relation-columns.js';
import { sqlStream } from '../sql/sql-stream.js';
import { toBinary } from '@bufbuild/protobuf';
import { decodeFlightSqlAny, packAny, unpackAs } from './any-command.js';
import { arrowValueToPg, type PgParameter } from './arrow-values.js';
import {
  CATALOGS_SCHEMA,
  DB_SCHEMAS_SCHEMA,
  metadataBatch,
  PRIMARY_KEYS_SCHEMA,
  sqlInfoBatch,
  TABLE_TYPES_SCHEMA,
  tablesSchema,
} from './metadata-batches.js';
import { PreparedStatements } from './prepared-statements.js';
import { SqlCatalog, type SqlRelationGrant, type SqlSchemaGrant } from './sql-catalog.js';
import { describeStatement, statementError, type StatementShape } from './sql-describe.js';
import { guardSql, type GuardedSql } from './sql-guard.js';
import { DEFAULT_SQL_FUNCTIONS } from './sql-allow-list.js';
import { sqlInfoEntries } from './sql-info.js';

/** Options of {@link createFlightSqlService}. */
export interface FlightSqlOptions {
  readonly db: SqlClient;
  /** Relations SQL may read, one by one. */
  readonly relations?: readonly SqlRelationGrant[] | undefined;
  /** Schemas whose relations (matching a pattern, by default the `va_`/`ta_`/`tv_` read models) SQL may read. */
  readonly schemas?: readonly SqlSchemaGrant[] | undefined;
  /** Functions allowed beyond the default list (aggregates, window, text, number, time, JSON). */
  readonly functions?: readonly string[] | undefined;
  /** @defaultValue 60000 */
  readonly statementTimeoutMs?: number | undefined;
  /**
   * The PostgreSQL role statements run as (`SET LOCAL ROLE` in their read-only transaction),
   * unless the relation's grant names its own `dbRole`. Give it `SELECT` on what the allow-list
   * names and nothing else; the server's database user must be a member of it. Absent: the
   * server's own role.
   */
  readonly dbRole?: string | undefined;
  /**
   * A result with more rows than this fails with `RESOURCE_EXHAUSTED`.
   * @defaultValue 10000000
   */
  readonly maxRows?: number | undefined;
  /**
   * A result with more Arrow bytes than this fails with `RESOURCE_EXHAUSTED`.
   * @defaultValue 4 GiB
   */
  readonly maxBytes?: number | undefined;
  /**
   * Prepared statements kept at once (the least recently used is dropped beyond it).
   * @defaultValue 1000
   */
  readonly maxPreparedStatements?: number | undefined;
  /**
   * A prepared statement unused this long is dropped.
   * @defaultValue 1800000 (30 min)
   */
  readonly preparedStatementTtlMs?: number | undefined;
  /** @defaultValue 'FraiseQL' */
  readonly serverName?: string | undefined;
  /** @defaultValue the package version */
  readonly serverVersion?: string | undefined;
}

const parameterValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const requestSchema = z.discriminatedUnion('command', [
  z
    .object({
      command: z.literal('statement'),
      sql: z
        .string()
        .min(1)
        .max(1 << 20),
      parameters: z.array(parameterValue).max(65535).default([]),
      owner: z.string().optional(),
    })
    .strict(),
  z.object({ command: z.literal('catalogs') }).strict(),
  z
    .object({
      command: z.literal('db_schemas'),
      catalog: z.string().max(256).optional(),
      schemaPattern: z.string().max(256).optional(),
    })
    .strict(),
  z
    .object({
      command: z.literal('tables'),
      catalog: z.string().max(256).optional(),
      schemaPattern: z.string().max(256).optional(),
      tablePattern: z.string().max(256).optional(),
      tableTypes: z.array(z.string().max(64)).max(16).default([]),
      includeSchema: z.boolean().default(false),
    })
    .strict(),
  z.object({ command: z.literal('table_types') }).strict(),
  z
    .object({
      command: z.literal('primary_keys'),
      catalog: z.string().max(256).optional(),
      schema: z.string().max(256).optional(),
      table: z.string().min(1).max(256),
    })
    .strict(),
  z
    .object({
      command: z.literal('sql_info'),
      info: z.array(z.number().int().min(0).max(0xffffffff)).max(10_000).default([]),
    })
    .strict(),
]);

/** A validated Flight SQL request (what a `sql` ticket carries). */
export type FlightSqlRequest = z.output<typeof requestSchema>;

const UNIMPLEMENTED_COMMANDS: Readonly<Record<string, string>> = {
  CommandStatementSubstraitPlan: 'Substrait plans are not supported; send SQL text',
  CommandStatementUpdate: 'SQL updates are not accepted: Flight SQL here is read-only',
  CommandPreparedStatementUpdate: 'SQL updates are not accepted: Flight SQL here is read-only',
  CommandGetXdbcTypeInfo: 'GetXdbcTypeInfo is not implemented by this server',
  CommandGetExportedKeys: 'GetExportedKeys is not implemented by this server',
  CommandGetImportedKeys: 'GetImportedKeys is not implemented by this server',
  CommandGetCrossReference: 'GetCrossReference is not implemented by this server',
};

const UNIMPLEMENTED_ACTIONS: readonly string[] = [
  'CreatePreparedSubstraitPlan',
  'BeginTransaction',
  'BeginSavepoint',
  'EndTransaction',
  'EndSavepoint',
  'CancelQuery',
];

const TABLE_TYPES = ['TABLE', 'VIEW', 'MATERIALIZED VIEW', 'FOREIGN TABLE'];

function likeToRegExp(pattern: string): RegExp {
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern.charAt(i);
    if (char === '\\' && i + 1 < pattern.length) {
      source += pattern.charAt(++i).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (char === '%') source += '.*';
    else if (char === '_') source += '.';
    else source += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${source}$`, 's');
}

function invalid(message: string): FlightError {
  return new FlightError('INVALID_ARGUMENT', message);
}

const streamColumns = (columns: readonly PgColumn[]): StreamColumn[] =>
  columns.map((column) => ({ name: column.name, kind: mapPgColumn(column).kind }));

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** A Flight stream of ready-made batches. */
function batchesStream(batch: RecordBatch): FlightStream {
  return {
    schema: batch.schema,
    batches: () => (batch.numRows === 0 ? [] : [{ batch }]),
  };
}

/** The Flight SQL service: a stream handler, its command decoder, actions and DoPut target. */
export interface FlightSqlService extends FlightExtension {
  readonly handler: StreamHandler<FlightSqlRequest>;
}

/**
 * Flight SQL over PostgreSQL for off-the-shelf clients (ADBC, JDBC, arrow-flight's
 * FlightSqlServiceClient): statements and prepared statements, checked by
 * {@link guardSql} and run read-only, and the catalog metadata commands with the
 * specification's Arrow schemas. Pass it to `startFlightServer({ extensions: [service] })`.
 */
export function createFlightSqlService(options: FlightSqlOptions): FlightSqlService {
  const { db } = options;
  const catalog = new SqlCatalog(db, options.relations ?? [], options.schemas ?? []);
  const functions = new Set([
    ...DEFAULT_SQL_FUNCTIONS,
    ...(options.functions ?? []).map((name) => name.toLowerCase()),
  ]);
  const timeout = options.statementTimeoutMs ?? 60_000;
  const maxRows = options.maxRows ?? 10_000_000;
  const maxBytes = options.maxBytes ?? 4 * 1024 ** 3;
  const prepared = new PreparedStatements({
    max: options.maxPreparedStatements ?? 1000,
    ttlMs: options.preparedStatementTtlMs ?? 30 * 60_000,
  });
  let databaseName: Promise<string> | undefined;
  const currentDatabase = (): Promise<string> => {
    databaseName ??= db
      .query<{ name: string }>('SELECT current_database() AS name')
      .then(({ rows }) => rows[0]?.name ?? 'postgres')
      .catch((error: unknown) => {
        databaseName = undefined;
        throw error;
      });
    return databaseName;
  };

  // Roles known to exist and to be settable by the server's user (failures are not kept).
  const checkedRoles = new Map<string, Promise<void>>();
  const checkRole = (role: string): Promise<void> => {
    let check = checkedRoles.get(role);
    if (check === undefined) {
      check = db
        .query<{ member: boolean }>(
          "SELECT pg_has_role(current_user, oid, 'MEMBER') AS member FROM pg_roles WHERE rolname = $1",
          [role],
        )
        .then(({ rows }) => {
          const problem =
            rows.length === 0
              ? 'does not exist'
              : rows[0]?.member === true
                ? undefined
                : "is not granted to the server's database user";
          if (problem !== undefined) {
            throw new FlightError('INTERNAL', `sql: the database role "${role}" ${problem}`);
          }
        });
      check.catch(() => checkedRoles.delete(role));
      checkedRoles.set(role, check);
    }
    return check;
  };

  /** The one database role a statement runs as, from the relations it reads. */
  const roleOf = async (guarded: GuardedSql): Promise<string | undefined> => {
    const roles = new Map<string | undefined, string>();
    for (const relation of guarded.relations) {
      roles.set(relation.dbRole ?? options.dbRole, `${relation.schema}.${relation.name}`);
    }
    if (roles.size > 1) {
      throw invalid(
        `sql: ${[...roles.values()].join(' and ')} are read as different database roles; query them in separate statements`,
      );
    }
    const role = roles.size === 0 ? options.dbRole : [...roles.keys()][0];
    if (role !== undefined) await checkRole(role);
    return role;
  };

  const guard = (sql: string, principal: Principal): Promise<GuardedSql> =>
    guardSql(sql, {
      resolve: (references) => catalog.resolve(references, principal),
      tenant: principal.tenant,
      functions,
    });

  const prepare = async (
    sql: string,
    principal: Principal,
  ): Promise<{ guarded: GuardedSql; shape: StatementShape }> => {
    const guarded = await guard(sql, principal);
    const shape = await describeStatement(db, guarded);
    return { guarded, shape };
  };

  const resultSchema = (shape: StatementShape, batch: BatchLimits) =>
    new RecordBatcher(streamColumns(shape.columns), batch).schema;

  const parameterSchema = (shape: StatementShape, batch: BatchLimits) =>
    new RecordBatcher(streamColumns(shape.parameters), batch).schema;

  const statementStream = async (
    request: Extract<FlightSqlRequest, { command: 'statement' }>,
    context: StreamContext,
  ): Promise<FlightStream> => {
    const { guarded, shape } = await prepare(request.sql, context.principal);
    if (request.parameters.length !== guarded.parameterCount) {
      throw invalid(
        `sql: the statement takes ${guarded.parameterCount} parameter(s); ${request.parameters.length} bound`,
      );
    }
    const asJson = shape.columns.map((column) => mapPgColumn(column).asJson);
    let text = guarded.sql;
    if (asJson.some(Boolean)) {
      // Arrays and composites are sent as JSON text: wrap, renaming the columns by position.
      const names = shape.columns.map((_, i) => quoteIdent(`c${String(i)}`));
      const select = names.map((name, i) =>
        asJson[i] === true ? `to_json(q.${name})` : `q.${name}`,
      );
      text = `SELECT ${select.join(', ')} FROM (${guarded.sql}) AS q(${names.join(', ')})`;
    }
    const role = await roleOf(guarded);
    const inner = sqlStream(
      db,
      { sql: text, parameters: [...request.parameters, ...guarded.extraParameters] },
      streamColumns(shape.columns),
      context,
      { statementTimeoutMs: timeout, role },
    );
    return {
      schema: inner.schema,
      async *batches(signal) {
        let rows = 0;
        let bytes = 0;
        try {
          for await (const item of inner.batches(signal)) {
            rows += item.batch.numRows;
            bytes += item.batch.data.byteLength;
            if (rows > maxRows) {
              throw new FlightError(
                'RESOURCE_EXHAUSTED',
                `sql: the result has more than ${maxRows} rows; add a LIMIT or a narrower WHERE`,
              );
            }
            if (bytes > maxBytes) {
              throw new FlightError(
                'RESOURCE_EXHAUSTED',
                `sql: the result is larger than ${maxBytes} bytes; select fewer rows or columns`,
              );
            }
            yield item;
          }
        } catch (error) {
          throw error instanceof FlightError ? error : statementError(error);
        }
      },
    };
  };

  const tablesBatch = async (
    request: Extract<FlightSqlRequest, { command: 'tables' }>,
    context: StreamContext,
  ): Promise<RecordBatch> => {
    const database = await currentDatabase();
    const schemaSet = await listedSchema(request.catalog, database);
    const schemaRegex =
      request.schemaPattern === undefined ? undefined : likeToRegExp(request.schemaPattern);
    const tableRegex =
      request.tablePattern === undefined ? undefined : likeToRegExp(request.tablePattern);
    const types = new Set(request.tableTypes);
    const relations = schemaSet
      ? (await catalog.list(context.principal)).filter(
          (relation) =>
            (schemaRegex?.test(relation.schema) ?? true) &&
            (tableRegex?.test(relation.name) ?? true) &&
            (types.size === 0 || types.has(relation.tableType)),
        )
      : [];
    const columns: unknown[][] = [
      relations.map(() => database),
      relations.map((relation) => relation.schema),
      relations.map((relation) => relation.name),
      relations.map((relation) => relation.tableType),
    ];
    if (request.includeSchema) {
      const schemas: Uint8Array[] = [];
      for (const relation of relations) {
        const pgColumns = await readRelationColumns(db, relation.schema, relation.name);
        schemas.push(
          encapsulatedSchema(new RecordBatcher(streamColumns(pgColumns), context.batch).schema),
        );
      }
      columns.push(schemas);
    }
    return metadataBatch(tablesSchema(request.includeSchema), columns);
  };

  /** Whether a catalog filter admits this database (absent: yes; '' asks for "no catalog"). */
  const listedSchema = (filter: string | undefined, database: string): Promise<boolean> =>
    Promise.resolve(filter === undefined || filter === database);

  const primaryKeysBatch = async (
    request: Extract<FlightSqlRequest, { command: 'primary_keys' }>,
    context: StreamContext,
  ): Promise<RecordBatch> => {
    const database = await currentDatabase();
    const reference = { schema: request.schema, name: request.table, location: 0 };
    const resolved =
      request.catalog === undefined || request.catalog === database
        ? (await catalog.resolve([reference], context.principal)).get(reference)
        : undefined;
    let rows: { column_name: string; key_name: string; key_sequence: number }[] = [];
    if (resolved !== undefined) {
      rows = (
        await db.query<{ column_name: string; key_name: string; key_sequence: number }>(
          `SELECT a.attname AS column_name, c.conname AS key_name, k.n::int4 AS key_sequence
           FROM pg_constraint c
           JOIN pg_class r ON r.oid = c.conrelid
           JOIN pg_namespace n ON n.oid = r.relnamespace
           CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
           WHERE c.contype = 'p' AND n.nspname = $1 AND r.relname = $2
           ORDER BY k.n`,
          [resolved.schema, resolved.name],
        )
      ).rows;
    }
    return metadataBatch(PRIMARY_KEYS_SCHEMA, [
      rows.map(() => database),
      rows.map(() => resolved?.schema ?? null),
      rows.map(() => resolved?.name ?? request.table),
      rows.map((row) => row.column_name),
      rows.map((row) => row.key_name),
      rows.map((row) => row.key_sequence),
    ]);
  };

  const metadataBatchOf = async (
    request: FlightSqlRequest,
    context: StreamContext,
  ): Promise<RecordBatch | undefined> => {
    switch (request.command) {
      case 'catalogs':
        return metadataBatch(CATALOGS_SCHEMA, [[await currentDatabase()]]);
      case 'db_schemas': {
        const database = await currentDatabase();
        const regex =
          request.schemaPattern === undefined ? undefined : likeToRegExp(request.schemaPattern);
        const listed = await listedSchema(request.catalog, database);
        const names = listed
          ? [...new Set((await catalog.list(context.principal)).map((r) => r.schema))]
              .filter((name) => regex?.test(name) ?? true)
              .sort()
          : [];
        return metadataBatch(DB_SCHEMAS_SCHEMA, [names.map(() => database), names]);
      }
      case 'tables':
        return tablesBatch(request, context);
      case 'table_types':
        return metadataBatch(TABLE_TYPES_SCHEMA, [TABLE_TYPES]);
      case 'primary_keys':
        return primaryKeysBatch(request, context);
      case 'sql_info':
        return sqlInfoBatch(
          sqlInfoEntries(request.info, {
            serverName: options.serverName ?? 'FraiseQL',
            serverVersion: options.serverVersion ?? '0.1.0',
            functions,
            statementTimeoutMs: options.preparedStatementTtlMs ?? 30 * 60_000,
          }),
        );
      case 'statement':
        return undefined;
    }
  };

  const handler: StreamHandler<FlightSqlRequest> & {
    wrapTicket(ticket: Uint8Array): Uint8Array;
  } = {
    kind: 'sql',
    parse(input) {
      const parsed = requestSchema.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw invalid(
          `flight sql request: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim(),
        );
      }
      return parsed.data;
    },
    authorize(request, principal) {
      if (request.command === 'statement' && request.owner !== undefined) {
        if (request.owner !== principal.subject) {
          throw new FlightError('PERMISSION_DENIED', 'prepared statement: owned by another caller');
        }
      }
    },
    async schema(request, context) {
      if (request.command === 'statement') {
        const { shape } = await prepare(request.sql, context.principal);
        return resultSchema(shape, context.batch);
      }
      const batch = await metadataBatchOf(request, context);
      if (batch === undefined) throw new FlightError('INTERNAL', 'flight sql: no schema');
      return batch.schema;
    },
    async open(request, context) {
      if (request.command === 'statement') return statementStream(request, context);
      const batch = await metadataBatchOf(request, context);
      if (batch === undefined) throw new FlightError('INTERNAL', 'flight sql: no stream');
      return batchesStream(batch);
    },
    list: () => Promise.resolve([]),
    fromPath: () => undefined,
    wrapTicket(ticket) {
      return packAny(
        TicketStatementQuerySchema,
        create(TicketStatementQuerySchema, { statementHandle: ticket }),
      );
    },
  };

  const decoder: CommandDecoder = (cmd) => {
    const decoded = decodeFlightSqlAny(cmd);
    if (decoded === undefined) return undefined;
    const { typeName, any } = decoded;
    const unimplemented = UNIMPLEMENTED_COMMANDS[typeName];
    if (unimplemented !== undefined)
      throw new FlightError('UNIMPLEMENTED', `flight sql: ${unimplemented}`);
    let request: FlightSqlRequest;
    switch (typeName) {
      case 'CommandStatementQuery': {
        const command = unpackAs(any, CommandStatementQuerySchema);
        if (command.transactionId !== undefined) {
          throw new FlightError('UNIMPLEMENTED', 'flight sql: transactions are not supported');
        }
        request = { command: 'statement', sql: command.query, parameters: [] };
        break;
      }
      case 'CommandPreparedStatementQuery': {
        const command = unpackAs(any, CommandPreparedStatementQuerySchema);
        const statement = prepared.get(command.preparedStatementHandle);
        request = {
          command: 'statement',
          sql: statement.sql,
          parameters: statement.parameters,
          owner: statement.owner,
        };
        break;
      }
      case 'CommandGetCatalogs':
        request = { command: 'catalogs' };
        break;
      case 'CommandGetDbSchemas': {
        const command = unpackAs(any, CommandGetDbSchemasSchema);
        request = {
          command: 'db_schemas',
          ...(command.catalog === undefined ? {} : { catalog: command.catalog }),
          ...(command.dbSchemaFilterPattern === undefined
            ? {}
            : { schemaPattern: command.dbSchemaFilterPattern }),
        };
        break;
      }
      case 'CommandGetTables': {
        const command = unpackAs(any, CommandGetTablesSchema);
        request = {
          command: 'tables',
          ...(command.catalog === undefined ? {} : { catalog: command.catalog }),
          ...(command.dbSchemaFilterPattern === undefined
            ? {}
            : { schemaPattern: command.dbSchemaFilterPattern }),
          ...(command.tableNameFilterPattern === undefined
            ? {}
            : { tablePattern: command.tableNameFilterPattern }),
          tableTypes: [...command.tableTypes],
          includeSchema: command.includeSchema,
        };
        break;
      }
      case 'CommandGetTableTypes':
        request = { command: 'table_types' };
        break;
      case 'CommandGetPrimaryKeys': {
        const command = unpackAs(any, CommandGetPrimaryKeysSchema);
        request = {
          command: 'primary_keys',
          ...(command.catalog === undefined ? {} : { catalog: command.catalog }),
          ...(command.dbSchema === undefined ? {} : { schema: command.dbSchema }),
          table: command.table,
        };
        break;
      }
      case 'CommandGetSqlInfo': {
        const command = unpackAs(any, CommandGetSqlInfoSchema);
        request = { command: 'sql_info', info: [...command.info] };
        break;
      }
      default:
        throw new FlightError(
          'UNIMPLEMENTED',
          `flight sql: ${typeName} is not implemented by this server`,
        );
    }
    return { kind: 'sql', request };
  };

  const actions: FlightAction[] = [
    {
      type: 'CreatePreparedStatement',
      description: 'Flight SQL: prepare a read-only SELECT; returns its handle and schemas.',
      async run(body, principal, context) {
        const decoded = decodeFlightSqlAny(body);
        if (decoded === undefined) {
          throw invalid(
            'CreatePreparedStatement: body must be a packed ActionCreatePreparedStatementRequest',
          );
        }
        const command = unpackAs(decoded.any, ActionCreatePreparedStatementRequestSchema);
        if (command.transactionId !== undefined) {
          throw new FlightError('UNIMPLEMENTED', 'flight sql: transactions are not supported');
        }
        const { guarded, shape } = await prepare(command.query, principal);
        const handle = prepared.create({
          sql: command.query,
          owner: principal.subject,
          parameterCount: guarded.parameterCount,
        });
        return [
          packAny(
            ActionCreatePreparedStatementResultSchema,
            create(ActionCreatePreparedStatementResultSchema, {
              preparedStatementHandle: handle,
              datasetSchema: encapsulatedSchema(resultSchema(shape, context.batch)),
              parameterSchema: encapsulatedSchema(parameterSchema(shape, context.batch)),
            }),
          ),
        ];
      },
    },
    {
      type: 'ClosePreparedStatement',
      description: 'Flight SQL: release a prepared statement.',
      run(body, principal) {
        const decoded = decodeFlightSqlAny(body);
        if (decoded === undefined) {
          throw invalid(
            'ClosePreparedStatement: body must be a packed ActionClosePreparedStatementRequest',
          );
        }
        const command = unpackAs(decoded.any, ActionClosePreparedStatementRequestSchema);
        prepared.close(command.preparedStatementHandle, principal.subject);
        return Promise.resolve([]);
      },
    },
    ...UNIMPLEMENTED_ACTIONS.map((type): FlightAction => ({
      type,
      description: `Flight SQL ${type}: not implemented by this server.`,
      run: () =>
        Promise.reject(
          new FlightError(
            'UNIMPLEMENTED',
            `flight sql: the ${type} action is not implemented by this server`,
          ),
        ),
    })),
  ];

  const bindParameters: PutTarget = {
    accept(descriptorCmd) {
      const decoded = decodeFlightSqlAny(descriptorCmd);
      if (decoded?.typeName !== 'CommandPreparedStatementQuery') return undefined;
      const command = unpackAs(decoded.any, CommandPreparedStatementQuerySchema);
      const handle = command.preparedStatementHandle;
      return async (batches, { principal }) => {
        const statement = prepared.get(handle);
        if (statement.owner !== principal.subject) {
          throw new FlightError('PERMISSION_DENIED', 'prepared statement: owned by another caller');
        }
        const rows: PgParameter[][] = [];
        for await (const batch of batches) {
          for (let row = 0; row < batch.numRows; row++) {
            if (rows.length >= 1) {
              throw invalid('prepared statement: bind one parameter row per execution');
            }
            rows.push(
              batch.schema.fields.map((_, i) => {
                const vector = batch.getChildAt(i);
                return vector === null ? null : arrowValueToPg(vector, row);
              }),
            );
          }
        }
        const values = rows[0] ?? [];
        if (values.length !== statement.parameterCount) {
          throw invalid(
            `prepared statement: takes ${statement.parameterCount} parameter(s); ${values.length} column(s) bound`,
          );
        }
        prepared.bind(handle, values);
        return [
          toBinary(
            DoPutPreparedStatementResultSchema,
            create(DoPutPreparedStatementResultSchema, { preparedStatementHandle: handle }),
          ),
        ];
      };
    },
  };

  return {
    handler,
    handlers: [handler],
    commandDecoders: [decoder],
    actions,
    putTargets: [bindParameters],
  };
}
