import { create, fromBinary } from '@bufbuild/protobuf';
import { Table, type RecordBatch, type Schema } from 'apache-arrow';
import { FlightError } from '../errors.js';
import {
  ActionClosePreparedStatementRequestSchema,
  ActionCreatePreparedStatementRequestSchema,
  ActionCreatePreparedStatementResultSchema,
  CommandPreparedStatementQuerySchema,
  DoPutPreparedStatementResultSchema,
} from '../gen/FlightSql_pb.js';
import { FlightDescriptor_DescriptorType, FlightDescriptorSchema } from '../gen/Flight_pb.js';
import { decodeFlightSqlAny, packAny, unpackAs } from '../flight-sql/any-command.js';
import { decodeSchema } from '../ipc/ipc-decoder.js';
import type { CallOptionsWithSignal, FlightClient } from './flight-client.js';

/** A Flight SQL prepared statement on the server (see {@link prepareStatement}). */
export interface PreparedStatement {
  /** The result columns, as the server described them at creation. */
  readonly datasetSchema: Schema;
  /** The parameters `$1..$n`, in order. */
  readonly parameterSchema: Schema;
  /**
   * Binds one row of parameters (a one-row batch of {@link PreparedStatement.parameterSchema}),
   * when the statement takes any, and reads the result.
   */
  execute(parameters?: RecordBatch | Table, options?: CallOptionsWithSignal): Promise<Table>;
  /** Releases the statement on the server. */
  close(options?: CallOptionsWithSignal): Promise<void>;
}

/**
 * Prepares a statement through Flight SQL (`CreatePreparedStatement`), as JDBC and ADBC do.
 *
 * @example
 * const statement = await prepareStatement(client, 'SELECT * FROM va_orders WHERE id = $1');
 * const params = tableFromArrays({ $1: Int32Array.from([3]) });
 * const rows = await statement.execute(params);
 * await statement.close();
 */
export async function prepareStatement(
  client: FlightClient,
  query: string,
  options: CallOptionsWithSignal = {},
): Promise<PreparedStatement> {
  const [body] = await client.doActionRaw(
    'CreatePreparedStatement',
    packAny(
      ActionCreatePreparedStatementRequestSchema,
      create(ActionCreatePreparedStatementRequestSchema, { query }),
    ),
    options,
  );
  const decoded = body === undefined ? undefined : decodeFlightSqlAny(body);
  if (decoded === undefined) {
    throw new FlightError('INTERNAL', 'CreatePreparedStatement: the server sent no result');
  }
  const result = unpackAs(decoded.any, ActionCreatePreparedStatementResultSchema);
  let handle = result.preparedStatementHandle;
  const descriptor = () =>
    create(FlightDescriptorSchema, {
      type: FlightDescriptor_DescriptorType.CMD,
      cmd: packAny(
        CommandPreparedStatementQuerySchema,
        create(CommandPreparedStatementQuerySchema, { preparedStatementHandle: handle }),
      ),
    });
  const datasetSchema = decodeSchema(result.datasetSchema);
  const parameterSchema = decodeSchema(result.parameterSchema);
  return {
    datasetSchema,
    parameterSchema,
    async execute(parameters, callOptions = {}) {
      if (parameters !== undefined) {
        const batches = parameters instanceof Table ? parameters.batches : [parameters];
        const answers = await client.doPut(descriptor(), batches, callOptions);
        for (const answer of answers) {
          if (answer.byteLength === 0) continue;
          const updated = fromBinary(DoPutPreparedStatementResultSchema, answer);
          if (updated.preparedStatementHandle !== undefined) {
            handle = updated.preparedStatementHandle;
          }
        }
      }
      const info = await client.getFlightInfo(descriptor(), callOptions);
      const batches: RecordBatch[] = [];
      for (const endpoint of info.endpoints) {
        for await (const batch of client.doGet(endpoint.ticket, callOptions)) batches.push(batch);
      }
      return batches.length === 0 ? new Table(info.schema) : new Table(batches);
    },
    async close(callOptions = {}) {
      await client.doActionRaw(
        'ClosePreparedStatement',
        packAny(
          ActionClosePreparedStatementRequestSchema,
          create(ActionClosePreparedStatementRequestSchema, { preparedStatementHandle: handle }),
        ),
        callOptions,
      );
    },
  };
}
