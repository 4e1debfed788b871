import { Message, MessageHeader, RecordBatchReader, type RecordBatch } from 'apache-arrow';
import type { FlightDataView } from '../protocol/flight-data.js';

/** A record batch read from a Flight stream, with its FlightData `app_metadata`. */
export interface ReceivedBatch {
  readonly batch: RecordBatch;
  readonly appMetadata: Uint8Array;
}

function encapsulate(frame: FlightDataView): Uint8Array {
  const header = frame.dataHeader;
  const out = new Uint8Array(8 + header.byteLength + frame.dataBody.byteLength);
  const view = new DataView(out.buffer);
  view.setInt32(0, -1, true);
  view.setInt32(4, header.byteLength, true);
  out.set(header, 8);
  out.set(frame.dataBody, 8 + header.byteLength);
  return out;
}

/**
 * Reassembles record batches from FlightData messages: each `data_header` becomes an
 * encapsulated IPC message again (continuation, length, flatbuffer, body) and app metadata is
 * paired with the record batch it arrived with. Each batch is decoded as soon as its message
 * arrives (with the schema and dictionaries seen so far), never waiting for the next message,
 * so a live stream that pauses between batches delivers every batch at once.
 */
export async function* decodeFlightStream(
  frames: AsyncIterable<FlightDataView>,
): AsyncGenerator<ReceivedBatch> {
  let preamble: Uint8Array[] = [];
  let sawBatch = false;
  let schemaOnly: Uint8Array | undefined;
  for await (const frame of frames) {
    if (frame.dataHeader.byteLength === 0) continue;
    const type = Message.decode(frame.dataHeader).headerType;
    if (type === MessageHeader.Schema) {
      const message = encapsulate(frame);
      preamble = [message];
      schemaOnly = message;
      continue;
    }
    if (type !== MessageHeader.RecordBatch) {
      preamble.push(encapsulate(frame));
      continue;
    }
    // The batch body is copied once, straight into the buffer the reader decodes.
    const prefix = new Uint8Array(8);
    const view = new DataView(prefix.buffer);
    view.setInt32(0, -1, true);
    view.setInt32(4, frame.dataHeader.byteLength, true);
    const reader = RecordBatchReader.from(
      concat([...preamble, prefix, frame.dataHeader, frame.dataBody]),
    );
    for (const batch of reader) {
      sawBatch = true;
      yield { batch, appMetadata: frame.appMetadata };
    }
  }
  // A stream with a schema and no batch still yields one empty batch, as Arrow readers do.
  if (!sawBatch && schemaOnly !== undefined) {
    for (const batch of RecordBatchReader.from(schemaOnly)) {
      yield { batch, appMetadata: new Uint8Array(0) };
    }
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** Reads an encapsulated IPC schema (`FlightInfo.schema`, `SchemaResult.schema`). */
export function decodeSchema(encapsulated: Uint8Array) {
  const reader = RecordBatchReader.from(encapsulated);
  reader.open();
  return reader.schema;
}
