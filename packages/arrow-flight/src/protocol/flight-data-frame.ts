import type { FlightDataParts } from './flight-data.js';

const EMPTY: Uint8Array = new Uint8Array(0);
const TAG_DESCRIPTOR = 0x0a; // field 1, length-delimited
const TAG_HEADER = 0x12; // field 2
const TAG_APP_METADATA = 0x1a; // field 3
const TAG_BODY_0 = 0xc2; // field 1000: (1000 << 3) | 2 = 8002 as a two-byte varint
const TAG_BODY_1 = 0x3e;
const MAX_VARINT = 10;

/**
 * Where grpc-js puts a received message: after its 5-byte length prefix, at the start of a
 * buffer that is 8-byte aligned (a fresh ArrayBuffer, or Node's pool, which aligns to 8).
 */
const RECEIVE_OFFSET = 5;

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/**
 * Writes `value` as a varint of exactly `size` bytes. A varint longer than its minimal form
 * (continuation bits over zero groups) is valid protobuf: every conforming parser reads up to
 * ten bytes.
 */
function writeVarint(target: Uint8Array, offset: number, value: number, size: number): number {
  for (let i = 1; i < size; i++) {
    target[offset++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  target[offset++] = value;
  return offset;
}

/**
 * One FlightData message laid out over the IPC buffers it frames, written once, straight into
 * the buffer grpc-js sends. grpc-js serialises a response by reading `byteLength` / `length` and
 * calling `copy(target, 5)` behind its own 5-byte prefix; a frame answers both, so the IPC body
 * is copied exactly once on the way to the socket and never through a protobuf object.
 *
 * With `alignBody`, the length varints are widened so that `data_body` starts on an 8-byte
 * boundary of the buffer the receiving grpc-js reassembles the message into: a reader then
 * builds the record batch's typed arrays directly over the received bytes.
 */
export class FlightDataFrame {
  readonly byteLength: number;
  readonly #descriptor: Uint8Array;
  readonly #header: Uint8Array;
  readonly #metadata: Uint8Array;
  readonly #bodyParts: readonly Uint8Array[];
  readonly #bodyLength: number;
  readonly #headerVarint: number;
  readonly #bodyVarint: number;

  constructor(parts: FlightDataParts, options: { alignBody?: boolean } = {}) {
    this.#descriptor = parts.descriptor ?? EMPTY;
    this.#header = parts.dataHeader ?? EMPTY;
    this.#metadata = parts.appMetadata ?? EMPTY;
    this.#bodyParts = parts.bodyParts ?? [];
    let bodyLength = 0;
    for (const part of this.#bodyParts) bodyLength += part.byteLength;
    this.#bodyLength = bodyLength;
    let headerVarint = varintSize(this.#header.byteLength);
    let bodyVarint = varintSize(bodyLength);
    let size = 0;
    if (this.#descriptor.byteLength > 0) {
      size += 1 + varintSize(this.#descriptor.byteLength) + this.#descriptor.byteLength;
    }
    if (this.#header.byteLength > 0) size += 1 + headerVarint + this.#header.byteLength;
    if (this.#metadata.byteLength > 0) {
      size += 1 + varintSize(this.#metadata.byteLength) + this.#metadata.byteLength;
    }
    if (bodyLength > 0) {
      let misalignment = (8 - ((RECEIVE_OFFSET + size + 2 + bodyVarint) % 8)) % 8;
      if (options.alignBody === true && misalignment > 0) {
        if (this.#header.byteLength > 0) {
          const widen = Math.min(misalignment, MAX_VARINT - headerVarint);
          headerVarint += widen;
          size += widen;
          misalignment -= widen;
        }
        const widen = Math.min(misalignment, MAX_VARINT - bodyVarint);
        bodyVarint += widen;
      }
      size += 2 + bodyVarint + bodyLength;
    }
    this.#headerVarint = headerVarint;
    this.#bodyVarint = bodyVarint;
    this.byteLength = size;
  }

  /** The same as `byteLength`, for callers that read a Buffer's `length`. */
  get length(): number {
    return this.byteLength;
  }

  /** Bytes of IPC body the frame carries. */
  get bodyLength(): number {
    return this.#bodyLength;
  }

  /** Writes the whole message into `target` at `targetStart`; returns the bytes written. */
  copy(target: Uint8Array, targetStart = 0): number {
    let offset = targetStart;
    const field = (tag: number, bytes: Uint8Array, varint: number): void => {
      if (bytes.byteLength === 0) return;
      target[offset++] = tag;
      offset = writeVarint(target, offset, bytes.byteLength, varint);
      target.set(bytes, offset);
      offset += bytes.byteLength;
    };
    field(TAG_DESCRIPTOR, this.#descriptor, varintSize(this.#descriptor.byteLength));
    field(TAG_HEADER, this.#header, this.#headerVarint);
    field(TAG_APP_METADATA, this.#metadata, varintSize(this.#metadata.byteLength));
    if (this.#bodyLength > 0) {
      target[offset++] = TAG_BODY_0;
      target[offset++] = TAG_BODY_1;
      offset = writeVarint(target, offset, this.#bodyLength, this.#bodyVarint);
      for (const part of this.#bodyParts) {
        target.set(part, offset);
        offset += part.byteLength;
      }
    }
    return offset - targetStart;
  }

  /** The message as one Buffer (for transports that need real bytes). */
  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.byteLength);
    this.copy(out, 0);
    return out;
  }
}
