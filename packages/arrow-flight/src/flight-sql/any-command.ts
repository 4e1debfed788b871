import { fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { AnySchema, anyPack, anyUnpack, type Any } from '@bufbuild/protobuf/wkt';
import { FlightError } from '../errors.js';

/** The type-URL prefix of every Flight SQL message packed in `google.protobuf.Any`. */
export const FLIGHT_SQL_TYPE_PREFIX = 'type.googleapis.com/arrow.flight.protocol.sql.';

/** Decodes bytes as `google.protobuf.Any` naming a Flight SQL message, or undefined. */
export function decodeFlightSqlAny(bytes: Uint8Array): { typeName: string; any: Any } | undefined {
  // A JSON command or JWT ticket starts with '{' or 'e'; an Any starts with field 1 (0x0a).
  if (bytes.byteLength < 2 || bytes[0] !== 0x0a) return undefined;
  let any: Any;
  try {
    any = fromBinary(AnySchema, bytes);
  } catch {
    return undefined;
  }
  if (!any.typeUrl.startsWith(FLIGHT_SQL_TYPE_PREFIX)) return undefined;
  return { typeName: any.typeUrl.slice(FLIGHT_SQL_TYPE_PREFIX.length), any };
}

/**
 * Unpacks a Flight SQL message of a known type from an `Any`.
 * @throws {FlightError} `INVALID_ARGUMENT` when the payload is not that message.
 */
export function unpackAs<Desc extends DescMessage>(any: Any, schema: Desc): MessageShape<Desc> {
  try {
    const message = anyUnpack(any, schema);
    if (message !== undefined) return message;
  } catch (cause) {
    throw new FlightError('INVALID_ARGUMENT', `${schema.name}: malformed message`, { cause });
  }
  throw new FlightError('INVALID_ARGUMENT', `expected ${schema.name}, got ${any.typeUrl}`);
}

/** Packs a Flight SQL message into `Any` bytes. */
export function packAny<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
): Uint8Array {
  return toBinary(AnySchema, anyPack(schema, message));
}
