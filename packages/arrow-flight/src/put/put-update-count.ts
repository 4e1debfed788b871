import { fromBinary } from '@bufbuild/protobuf';
import { FlightError } from '../errors.js';
import { DoPutUpdateResultSchema } from '../gen/FlightSql_pb.js';

/**
 * The row count of a DoPut answer (Flight SQL `DoPutUpdateResult`, which FraiseQL's ingest
 * sends as the `PutResult.app_metadata`).
 * @throws {FlightError} `INTERNAL` when the bytes are not a `DoPutUpdateResult`.
 */
export function putUpdateCount(appMetadata: Uint8Array): bigint {
  try {
    return fromBinary(DoPutUpdateResultSchema, appMetadata).recordCount;
  } catch (cause) {
    throw new FlightError('INTERNAL', 'DoPut: the answer is not a DoPutUpdateResult', { cause });
  }
}
