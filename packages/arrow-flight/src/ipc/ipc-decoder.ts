import {
  makeData,
  Message,
  MessageHeader,
  RecordBatch,
  RecordBatchReader,
  Struct,
  type Data,
  type Schema,
} from 'apache-arrow';
import type { RecordBatch as RecordBatchHeader } from 'apache-arrow/ipc/metadata/message';
import { VectorLoader } from 'apache-arrow/visitor/vectorloader';
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
 * Builds a record batch straight over a received body: the typed arrays of its columns are views
 * of `body`, so nothing is copied. Only for a plain record batch (no compression) of a schema
 * without dictionaries; `body` must start on an 8-byte boundary.
 */
function loadRecordBatch(schema: Schema, message: Message, body: Uint8Array): RecordBatch {
  const header = message.header() as RecordBatchHeader;
  const children = new VectorLoader(
    body,
    header.nodes,
    header.buffers,
    new Map(),
    schema.metadataVersion,
    header.variadicBufferCounts,
  ).visitMany(schema.fields) as Data[];
  const data = makeData({ type: new Struct(schema.fields), length: header.length, children });
  return new RecordBatch(schema, data, header.metadata);
}

/**
 * Reassembles record batches from FlightData messages, paired with the app metadata each
 * arrived with. Each batch is decoded as soon as its message arrives, never waiting for the next
 * message, so a live stream that pauses between batches delivers every batch at once.
 *
 * A plain record batch of a schema without dictionaries is built directly over the received
 * `data_body` (zero-copy when the sender aligned the body to 8 bytes, as this package's server
 * does; one copy otherwise). Anything else (dictionaries, compressed bodies) goes through
 * apache-arrow's reader: each `data_header` becomes an encapsulated IPC message again, after the
 * schema and dictionaries seen so far.
 */
export async function* decodeFlightStream(
  frames: AsyncIterable<FlightDataView>,
): AsyncGenerator<ReceivedBatch> {
  let preamble: Uint8Array[] = [];
  let schema: Schema | undefined;
  let sawBatch = false;
  let schemaOnly: Uint8Array | undefined;
  for await (const frame of frames) {
    if (frame.dataHeader.byteLength === 0) continue;
    const message = Message.decode(frame.dataHeader);
    const type = message.headerType;
    if (type === MessageHeader.Schema) {
      const encapsulated = encapsulate(frame);
      preamble = [encapsulated];
      schemaOnly = encapsulated;
      schema = decodeSchema(encapsulated);
      continue;
    }
    if (type !== MessageHeader.RecordBatch) {
      preamble.push(encapsulate(frame));
      continue;
    }
    if (
      schema?.dictionaries.size === 0 &&
      (message.header() as RecordBatchHeader).compression === null
    ) {
      const body = frame.dataBody;
      // `new Uint8Array(view)` copies (a Buffer's `slice` would not).
      const aligned = body.byteOffset % 8 === 0 ? body : new Uint8Array(body);
      sawBatch = true;
      yield { batch: loadRecordBatch(schema, message, aligned), appMetadata: frame.appMetadata };
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
export function decodeSchema(encapsulated: Uint8Array): Schema {
  const reader = RecordBatchReader.from(encapsulated);
  reader.open();
  return reader.schema;
}
