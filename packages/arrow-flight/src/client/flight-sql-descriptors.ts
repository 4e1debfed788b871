import { create } from '@bufbuild/protobuf';
import {
  CommandGetCatalogsSchema,
  CommandGetDbSchemasSchema,
  CommandGetPrimaryKeysSchema,
  CommandGetSqlInfoSchema,
  CommandGetTablesSchema,
  CommandGetTableTypesSchema,
  CommandStatementIngestSchema,
  CommandStatementQuerySchema,
} from '../gen/FlightSql_pb.js';
import {
  FlightDescriptor_DescriptorType,
  FlightDescriptorSchema,
  type FlightDescriptor,
} from '../gen/Flight_pb.js';
import { packAny } from '../flight-sql/any-command.js';

const cmd = (bytes: Uint8Array): FlightDescriptor =>
  create(FlightDescriptorSchema, { type: FlightDescriptor_DescriptorType.CMD, cmd: bytes });

/** A Flight SQL metadata request, as a CMD descriptor with the command packed in `Any`. */
export type FlightSqlMetadataRequest =
  | { readonly command: 'catalogs' }
  | { readonly command: 'db_schemas'; readonly catalog?: string; readonly schemaPattern?: string }
  | {
      readonly command: 'tables';
      readonly catalog?: string;
      readonly schemaPattern?: string;
      readonly tablePattern?: string;
      readonly tableTypes?: readonly string[];
      readonly includeSchema?: boolean;
    }
  | { readonly command: 'table_types' }
  | {
      readonly command: 'primary_keys';
      readonly catalog?: string;
      readonly schema?: string;
      readonly table: string;
    }
  | { readonly command: 'sql_info'; readonly info?: readonly number[] };

/** A `CommandStatementQuery` descriptor: `sqlQueryDescriptor('SELECT 1')`. */
export function sqlQueryDescriptor(query: string): FlightDescriptor {
  return cmd(packAny(CommandStatementQuerySchema, create(CommandStatementQuerySchema, { query })));
}

/** A Flight SQL metadata descriptor: `sqlMetadataDescriptor({ command: 'tables' })`. */
export function sqlMetadataDescriptor(request: FlightSqlMetadataRequest): FlightDescriptor {
  switch (request.command) {
    case 'catalogs':
      return cmd(packAny(CommandGetCatalogsSchema, create(CommandGetCatalogsSchema)));
    case 'db_schemas':
      return cmd(
        packAny(
          CommandGetDbSchemasSchema,
          create(CommandGetDbSchemasSchema, {
            ...(request.catalog === undefined ? {} : { catalog: request.catalog }),
            ...(request.schemaPattern === undefined
              ? {}
              : { dbSchemaFilterPattern: request.schemaPattern }),
          }),
        ),
      );
    case 'tables':
      return cmd(
        packAny(
          CommandGetTablesSchema,
          create(CommandGetTablesSchema, {
            ...(request.catalog === undefined ? {} : { catalog: request.catalog }),
            ...(request.schemaPattern === undefined
              ? {}
              : { dbSchemaFilterPattern: request.schemaPattern }),
            ...(request.tablePattern === undefined
              ? {}
              : { tableNameFilterPattern: request.tablePattern }),
            tableTypes: [...(request.tableTypes ?? [])],
            includeSchema: request.includeSchema ?? false,
          }),
        ),
      );
    case 'table_types':
      return cmd(packAny(CommandGetTableTypesSchema, create(CommandGetTableTypesSchema)));
    case 'primary_keys':
      return cmd(
        packAny(
          CommandGetPrimaryKeysSchema,
          create(CommandGetPrimaryKeysSchema, {
            table: request.table,
            ...(request.catalog === undefined ? {} : { catalog: request.catalog }),
            ...(request.schema === undefined ? {} : { dbSchema: request.schema }),
          }),
        ),
      );
    case 'sql_info':
      return cmd(
        packAny(
          CommandGetSqlInfoSchema,
          create(CommandGetSqlInfoSchema, { info: [...(request.info ?? [])] }),
        ),
      );
  }
}

/** A `CommandStatementIngest` descriptor (append to an existing table) for `FlightClient.doPut`. */
export function sqlIngestDescriptor(table: string, schema?: string): FlightDescriptor {
  return cmd(
    packAny(
      CommandStatementIngestSchema,
      create(CommandStatementIngestSchema, { table, ...(schema === undefined ? {} : { schema }) }),
    ),
  );
}
