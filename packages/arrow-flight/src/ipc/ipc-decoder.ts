import { Message, MessageHeader, RecordBatchReader, type RecordBatch } from 'apache-arrow';
import type { FlightDataView } from '../protocol/flight-data.js';

/** A record batch read from a Flight stream, with its FlightData `app_metadata`. */
export interface ReceivedBatch {
  readonly batch: RecordBatch;
  readonly appMetadata: Uint8Array;
}

/**
 * Reassembles record batches from FlightData messages: each `data_header` becomes an
 * encapsulated IPC message again (continuation, length, flatbuffer, body) for apache-arrow's
 * stream reader; app metadata is paired with the record batch it arrived with.
 */
export async function* decodeFlightStream(
  frames: AsyncIterable<FlightDataView>,
): AsyncGenerator<ReceivedBatch> {
  const metadata: Uint8Array[] = [];
  async function* bytes(): AsyncGenerator<Uint8Array> {
    for await (const frame of frames) {
      if (frame.dataHeader.byteLength === 0) continue;
      if (Message.decode(frame.dataHeader).headerType === MessageHeader.RecordBatch) {
        metadata.push(frame.appMetadata);
      }
      const prefix = new Uint8Array(8);
      const view = new DataView(prefix.buffer);
      view.setInt32(0, -1, true);
      view.setInt32(4, frame.dataHeader.byteLength, true);
      yield prefix;
      yield frame.dataHeader;
      if (frame.dataBody.byteLength > 0) yield frame.dataBody;
    }
  }
  const reader = await RecordBatchReader.from(bytes());
  for await (const batch of reader) {
    yield { batch, appMetadata: metadata.shift() ?? new Uint8Array(0) };
  }
}

/** Reads an encapsulated IPC schema (`FlightInfo.schema`, `SchemaResult.schema`). */
export function decodeSchema(encapsulated: Uint8Array) {
  const reader = RecordBatchReader.from(encapsulated);
  reader.open();
  return reader.schema;
}
