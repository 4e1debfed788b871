import {
  makeData,
  Message,
  MessageHeader,
  RecordBatch,
  RecordBatchReader,
  Struct,
  Vector,
  type Data,
  type Schema,
} from 'apache-arrow';
import type {
  DictionaryBatch as DictionaryBatchHeader,
  RecordBatch as RecordBatchHeader,
} from 'apache-arrow/ipc/metadata/message';
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

/** `body` itself when it starts on an 8-byte boundary, else an aligned copy. */
function alignedBody(body: Uint8Array): Uint8Array {
  // `new Uint8Array(view)` copies (a Buffer's `slice` would not).
  return body.byteOffset % 8 === 0 ? body : new Uint8Array(body);
}

/**
 * Builds a record batch straight over a received body: the typed arrays of its columns are views
 * of `body`, so nothing is copied. Only for an uncompressed record batch; `body` must start on
 * an 8-byte boundary; dictionary columns take their values from `dictionaries`.
 */
function loadRecordBatch(
  schema: Schema,
  message: Message,
  body: Uint8Array,
  dictionaries: Map<number, Vector>,
): RecordBatch {
  const header = message.header() as RecordBatchHeader;
  const children = new VectorLoader(
    body,
    header.nodes,
    header.buffers,
    dictionaries,
    schema.metadataVersion,
    header.variadicBufferCounts,
  ).visitMany(schema.fields) as Data[];
  const data = makeData({ type: new Struct(schema.fields), length: header.length, children });
  return new RecordBatch(schema, data, header.metadata);
}

/**
 * The dictionary an uncompressed dictionary batch sets (or, for a delta, extends), built over
 * the received body as {@link loadRecordBatch} builds a batch.
 */
function loadDictionary(
  schema: Schema,
  message: Message,
  body: Uint8Array,
  dictionaries: Map<number, Vector>,
): void {
  const header = message.header() as DictionaryBatchHeader;
  const type = schema.dictionaries.get(header.id);
  if (type === undefined) {
    throw new Error(`Flight stream: dictionary batch for unknown dictionary id ${header.id}`);
  }
  const [data] = new VectorLoader(
    body,
    header.data.nodes,
    header.data.buffers,
    dictionaries,
    schema.metadataVersion,
    header.data.variadicBufferCounts,
  ).visitMany([type]);
  if (data === undefined) throw new Error(`Flight stream: empty dictionary batch ${header.id}`);
  const vector = new Vector([data]);
  const previous = dictionaries.get(header.id);
  dictionaries.set(
    header.id,
    (header.isDelta && previous !== undefined ? previous.concat(vector) : vector).memoize(),
  );
}

/**
 * Reassembles record batches from FlightData messages, paired with the app metadata each
 * arrived with. Each batch is decoded as soon as its message arrives, never waiting for the next
 * message, so a live stream that pauses between batches delivers every batch at once.
 *
 * Uncompressed record and dictionary batches are built directly over the received `data_body`
 * (zero-copy when the sender aligned the body to 8 bytes, as this package's server does; one
 * copy otherwise); dictionaries are decoded once, when their batch arrives, and kept for the
 * batches that refer to them. Compressed bodies go through apache-arrow's reader: each
 * `data_header` becomes an encapsulated IPC message again, after the schema and dictionaries
 * seen so far.
 */
export async function* decodeFlightStream(
  frames: AsyncIterable<FlightDataView>,
): AsyncGenerator<ReceivedBatch> {
  let preamble: FlightDataView[] = [];
  let schema: Schema | undefined;
  let sawBatch = false;
  let schemaOnly: Uint8Array | undefined;
  let dictionaries = new Map<number, Vector>();
  // Dictionaries that arrived compressed: their batches are read through the reader.
  let viaReader = new Set<number>();
  for await (const frame of frames) {
    if (frame.dataHeader.byteLength === 0) continue;
    const message = Message.decode(frame.dataHeader);
    const type = message.headerType;
    if (type === MessageHeader.Schema) {
      const encapsulated = encapsulate(frame);
      preamble = [frame];
      schemaOnly = encapsulated;
      schema = decodeSchema(encapsulated);
      dictionaries = new Map();
      viaReader = new Set();
      continue;
    }
    if (type !== MessageHeader.RecordBatch) {
      // Kept (as views, no copy) for a compressed batch that needs apache-arrow's reader.
      preamble.push(frame);
      if (schema !== undefined && type === MessageHeader.DictionaryBatch) {
        const header = message.header() as DictionaryBatchHeader;
        if (header.data.compression !== null) viaReader.add(header.id);
        if (viaReader.has(header.id)) dictionaries.delete(header.id);
        else loadDictionary(schema, message, alignedBody(frame.dataBody), dictionaries);
      }
      continue;
    }
    if (
      schema !== undefined &&
      (message.header() as RecordBatchHeader).compression === null &&
      [...schema.dictionaries.keys()].every((id) => dictionaries.has(id))
    ) {
      sawBatch = true;
      yield {
        batch: loadRecordBatch(schema, message, alignedBody(frame.dataBody), dictionaries),
        appMetadata: frame.appMetadata,
      };
      continue;
    }
    // The batch body is copied once, straight into the buffer the reader decodes.
    const prefix = new Uint8Array(8);
    const view = new DataView(prefix.buffer);
    view.setInt32(0, -1, true);
    view.setInt32(4, frame.dataHeader.byteLength, true);
    const reader = RecordBatchReader.from(
      concat([...preamble.map(encapsulate), prefix, frame.dataHeader, frame.dataBody]),
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
