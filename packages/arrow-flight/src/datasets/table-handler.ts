import type { Data, RecordBatch, Table } from 'apache-arrow';
import { hasAnyRole } from '../auth/principal.js';
import { FlightError } from '../errors.js';
import type { FlightStream, StreamHandler } from './flight-stream.js';

interface RegisteredTable {
  readonly table: Table;
  readonly roles: readonly string[] | undefined;
}

/** Request of a `table` stream: an in-memory Arrow table registered by name. */
export interface TableRequest {
  readonly name: string;
}

/** Serves Arrow tables registered in process memory (`server.registerTable`). */
export interface TableHandler extends StreamHandler<TableRequest> {
  register(name: string, table: Table, roles?: readonly string[]): void;
  unregister(name: string): boolean;
}

const NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** Bytes held by a column's buffers (its dictionary excluded: that goes out as its own message). */
function dataBytes(data: Data): number {
  const buffers = [data.values, data.valueOffsets, data.nullBitmap, data.typeIds] as (
    ArrayBufferView | undefined
  )[];
  let bytes = 0;
  for (const buffer of buffers) bytes += buffer?.byteLength ?? 0;
  for (const child of data.children) bytes += dataBytes(child);
  return bytes;
}

/**
 * Rows per slice of `batch` under both limits: the byte limit is applied with the batch's
 * average row size.
 */
export function rowsPerSlice(batch: RecordBatch, limits: { rows: number; bytes: number }): number {
  if (batch.numRows === 0) return limits.rows;
  const rowBytes = dataBytes(batch.data) / batch.numRows;
  const byBytes = rowBytes > 0 ? Math.floor(limits.bytes / rowBytes) : limits.rows;
  return Math.max(1, Math.min(limits.rows, byBytes));
}

/** Creates the handler of registered in-memory tables. */
export function createTableHandler(): TableHandler {
  const tables = new Map<string, RegisteredTable>();
  const find = (name: string): RegisteredTable => {
    const entry = tables.get(name);
    if (entry === undefined) {
      throw new FlightError('NOT_FOUND', `table ${JSON.stringify(name)}: no such dataset`);
    }
    return entry;
  };
  return {
    kind: 'table',
    register(name, table, roles) {
      if (!NAME.test(name)) {
        throw new FlightError(
          'INVALID_ARGUMENT',
          `registerTable: invalid name ${JSON.stringify(name)}`,
        );
      }
      tables.set(name, { table, roles });
    },
    unregister: (name) => tables.delete(name),
    parse(input) {
      const name = (input as { name?: unknown } | null)?.name;
      if (typeof name !== 'string' || !NAME.test(name)) {
        throw new FlightError('INVALID_ARGUMENT', 'table request: "name" must be a dataset name');
      }
      find(name);
      return { name };
    },
    authorize(request, principal) {
      if (!hasAnyRole(principal, find(request.name).roles)) {
        throw new FlightError('PERMISSION_DENIED', `table ${request.name}: not allowed`);
      }
    },
    schema: (request) => Promise.resolve(find(request.name).table.schema),
    totalRecords: (request) => Promise.resolve(find(request.name).table.numRows),
    open(request, context) {
      const { table } = find(request.name);
      const stream: FlightStream = {
        schema: table.schema,
        *batches(signal) {
          for (const batch of table.batches) {
            // Re-slice batches over the configured row or byte limit so that one huge batch
            // never becomes one huge message.
            const step = rowsPerSlice(batch, context.batch);
            for (let offset = 0; offset < batch.numRows; offset += step) {
              if (signal.aborted) return;
              const slice =
                offset === 0 && batch.numRows <= step ? batch : batch.slice(offset, offset + step);
              yield { batch: slice };
            }
          }
        },
      };
      return Promise.resolve(stream);
    },
    list(principal) {
      return Promise.resolve(
        [...tables]
          .filter(([, entry]) => hasAnyRole(principal, entry.roles))
          .map(([name, entry]) => ({
            path: ['table', name],
            request: { name },
            totalRecords: entry.table.numRows,
          })),
      );
    },
    fromPath: (path) =>
      path.length === 1 && path[0] !== undefined ? { name: path[0] } : undefined,
  };
}
