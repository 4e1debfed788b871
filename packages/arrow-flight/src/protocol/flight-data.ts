import { FlightError } from '../errors.js';
import { FlightDataFrame } from './flight-data-frame.js';

/**
 * One FlightData message as read off the wire. Every field is a view into the received buffer:
 * nothing is copied, so the body of a large record batch is never duplicated.
 */
export interface FlightDataView {
  /** The serialised FlightDescriptor (field 1), present on the first message of a DoPut. */
  readonly descriptor: Uint8Array | undefined;
  /** The flatbuffer IPC `Message` (field 2); empty for a metadata-only message. */
  readonly dataHeader: Uint8Array;
  /** Application metadata (field 3). */
  readonly appMetadata: Uint8Array;
  /** The IPC message body (field 1000). */
  readonly dataBody: Uint8Array;
}

/** What {@link encodeFlightData} frames: the header and the body parts of one IPC message. */
export interface FlightDataParts {
  /** A serialised FlightDescriptor for field 1. */
  readonly descriptor?: Uint8Array | undefined;
  readonly dataHeader?: Uint8Array | undefined;
  readonly appMetadata?: Uint8Array | undefined;
  /** The body as the IPC writer laid it out; concatenated in order into field 1000. */
  readonly bodyParts?: readonly Uint8Array[] | undefined;
}

const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * Frames one FlightData protobuf message straight from IPC buffers into one new Buffer, in the
 * canonical protobuf encoding. The server's DoGet writes {@link FlightDataFrame}s instead, which
 * grpc-js copies straight into the message it sends.
 */
export function encodeFlightData(parts: FlightDataParts): Buffer {
  return new FlightDataFrame(parts).toBuffer();
}

function readVarint(bytes: Uint8Array, state: { offset: number }): number {
  let result = 0;
  let factor = 1;
  for (let i = 0; i < 10; i++) {
    if (state.offset >= bytes.byteLength) break;
    const byte = bytes[state.offset++] ?? 0;
    result += (byte & 0x7f) * factor;
    if ((byte & 0x80) === 0) return result;
    factor *= 128;
  }
  throw new FlightError('INVALID_ARGUMENT', 'FlightData: truncated or overlong varint');
}

/**
 * Reads a FlightData protobuf message without copying: fields are views into `bytes`. Unknown
 * fields are skipped, as protobuf requires.
 *
 * @throws {FlightError} `INVALID_ARGUMENT` for a malformed message.
 */
export function decodeFlightData(bytes: Uint8Array): FlightDataView {
  const state = { offset: 0 };
  let descriptor: Uint8Array | undefined;
  let dataHeader: Uint8Array = EMPTY;
  let appMetadata: Uint8Array = EMPTY;
  let dataBody: Uint8Array = EMPTY;
  while (state.offset < bytes.byteLength) {
    const tag = readVarint(bytes, state);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 2) {
      const length = readVarint(bytes, state);
      const end = state.offset + length;
      if (end > bytes.byteLength) {
        throw new FlightError('INVALID_ARGUMENT', `FlightData: field ${field} runs past the end`);
      }
      const view = bytes.subarray(state.offset, end);
      state.offset = end;
      if (field === 1) descriptor = view;
      else if (field === 2) dataHeader = view;
      else if (field === 3) appMetadata = view;
      else if (field === 1000) dataBody = view;
    } else if (wire === 0) {
      readVarint(bytes, state);
    } else if (wire === 1) {
      state.offset += 8;
    } else if (wire === 5) {
      state.offset += 4;
    } else {
      throw new FlightError('INVALID_ARGUMENT', `FlightData: unsupported wire type ${wire}`);
    }
  }
  if (state.offset > bytes.byteLength) {
    throw new FlightError('INVALID_ARGUMENT', 'FlightData: truncated message');
  }
  return { descriptor, dataHeader, appMetadata, dataBody };
}
