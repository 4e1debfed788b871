import { Message, RecordBatchStreamWriter, type RecordBatch, type Schema } from 'apache-arrow';

/** One encapsulated IPC message, kept as the writer's own buffers. */
export interface IpcMessage {
  /** The flatbuffer `Message` (FlightData `data_header`). */
  readonly header: Uint8Array;
  /** The body buffers in order, padding included (FlightData `data_body`, concatenated). */
  readonly bodyParts: Uint8Array[];
  /** Total body bytes. */
  bodyLength: number;
}

const PADDING = new Uint8Array(8);

/**
 * Encodes record batches into IPC messages with apache-arrow's own stream writer, capturing
 * each message's flatbuffer header and body buffers instead of serialising them into one byte
 * stream. The body parts are views of the batch's column buffers: nothing is copied here.
 * Dictionary batches a record batch needs come out before it, in order.
 */
export class IpcEncoder extends RecordBatchStreamWriter {
  #messages: IpcMessage[] = [];

  /** The Schema message that starts a stream. */
  schemaMessage(schema: Schema): IpcMessage {
    this._writeSchema(schema);
    const [message] = this.#take();
    if (message === undefined) throw new Error('IpcEncoder: the writer produced no schema message');
    return message;
  }

  /** The messages for one batch: dictionary batches it introduces, then the record batch. */
  batchMessages(batch: RecordBatch): IpcMessage[] {
    this._writeRecordBatch(batch);
    return this.#take();
  }

  #take(): IpcMessage[] {
    const messages = this.#messages;
    this.#messages = [];
    return messages;
  }

  protected override _writeMessage(message: Message): this {
    this.#messages.push({ header: Message.encode(message), bodyParts: [], bodyLength: 0 });
    return this;
  }

  protected override _writeBodyBuffers(buffers: ArrayBufferView[]): this {
    const current = this.#messages.at(-1);
    if (current === undefined) return this;
    for (const buffer of buffers) {
      const size = buffer.byteLength;
      if (size === 0) continue;
      current.bodyParts.push(new Uint8Array(buffer.buffer, buffer.byteOffset, size));
      const padding = ((size + 7) & ~7) - size;
      if (padding > 0) current.bodyParts.push(PADDING.subarray(0, padding));
      current.bodyLength += size + padding;
    }
    return this;
  }
}

/**
 * The encapsulated IPC form of a schema that `FlightInfo.schema` and `SchemaResult.schema`
 * carry: continuation marker, little-endian length, flatbuffer, padding to 8 bytes.
 */
export function encapsulatedSchema(schema: Schema): Uint8Array {
  const header = new IpcEncoder().schemaMessage(schema).header;
  const aligned = (header.byteLength + 8 + 7) & ~7;
  const out = new Uint8Array(aligned);
  const view = new DataView(out.buffer);
  view.setInt32(0, -1, true);
  view.setInt32(4, aligned - 8, true);
  out.set(header, 8);
  return out;
}
