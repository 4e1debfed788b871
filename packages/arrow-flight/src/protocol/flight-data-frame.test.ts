import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { FlightDataSchema } from '../gen/Flight_pb.js';
import { FlightDataFrame } from './flight-data-frame.js';

const bytes = (length: number, seed: number) =>
  Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);

const u8 = (view: Uint8Array) => Uint8Array.from(view);
const same = (a: Uint8Array, b: Uint8Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

/** What grpc-js does with a serialised message: a 5-byte prefix, then `copy(target, 5)`. */
function sendLikeGrpc(frame: FlightDataFrame): Buffer {
  const output = Buffer.allocUnsafe(frame.length + 5);
  output.writeUInt8(0, 0);
  output.writeUInt32BE(frame.byteLength, 1);
  expect(frame.copy(output, 5)).toBe(frame.byteLength);
  return output;
}

describe('FlightDataFrame', () => {
  it('writes the canonical protobuf encoding when not aligning', () => {
    const header = bytes(300, 1);
    const metadata = bytes(5, 2);
    const parts = [bytes(70_000, 3), bytes(7, 4), bytes(1, 5)];
    const frame = new FlightDataFrame({
      dataHeader: header,
      appMetadata: metadata,
      bodyParts: parts,
    });
    const reference = toBinary(
      FlightDataSchema,
      create(FlightDataSchema, {
        dataHeader: header,
        appMetadata: metadata,
        dataBody: Buffer.concat(parts),
      }),
    );
    expect(frame.byteLength).toBe(reference.byteLength);
    expect(frame.toBuffer().equals(Buffer.from(reference))).toBe(true);
  });

  it('aligns data_body to 8 bytes of the received buffer, and standard protobuf still reads it', () => {
    const big = bytes(70_000, 1);
    for (let headerLength = 1; headerLength <= 17; headerLength++) {
      for (const metadataLength of [0, 1, 3, 200]) {
        for (const bodyLength of [8, 136, 70_000]) {
          const header = bytes(headerLength, headerLength);
          const metadata = bytes(metadataLength, 7);
          const parts = [big.subarray(0, bodyLength - 8), bytes(8, 2)];
          const frame = new FlightDataFrame(
            { dataHeader: header, appMetadata: metadata, bodyParts: parts },
            { alignBody: true },
          );
          const received = sendLikeGrpc(frame).subarray(5);
          const decoded = fromBinary(FlightDataSchema, received);
          expect(same(decoded.dataHeader, header)).toBe(true);
          expect(same(decoded.appMetadata, metadata)).toBe(true);
          expect(same(decoded.dataBody, Buffer.concat(parts))).toBe(true);
          // Where the body lies in the received message: the last bodyLength bytes.
          expect((received.byteOffset + received.byteLength - bodyLength) % 8).toBe(0);
        }
      }
    }
  });

  it('frames a body-less message (the schema) and an empty one', () => {
    const header = bytes(40, 9);
    const schema = new FlightDataFrame({ dataHeader: header }, { alignBody: true });
    expect(u8(fromBinary(FlightDataSchema, schema.toBuffer()).dataHeader)).toEqual(header);
    expect(new FlightDataFrame({}).byteLength).toBe(0);
  });
});
