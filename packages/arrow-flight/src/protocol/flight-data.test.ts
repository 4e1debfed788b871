import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import {
  FlightDataSchema,
  FlightDescriptor_DescriptorType,
  FlightDescriptorSchema,
} from '../gen/Flight_pb.js';
import { decodeFlightData, encodeFlightData } from './flight-data.js';

const bytes = (length: number, seed: number) =>
  Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);

const u8 = (view: Uint8Array) => Uint8Array.from(view);

describe('FlightData framing', () => {
  it('frames header, metadata and a multi-part body exactly as protobuf encodes them', () => {
    const header = bytes(300, 1);
    const metadata = bytes(5, 2);
    const parts = [bytes(200_000, 3), bytes(7, 4), bytes(1, 5)];
    const framed = encodeFlightData({
      dataHeader: header,
      appMetadata: metadata,
      bodyParts: parts,
    });
    const decoded = fromBinary(FlightDataSchema, framed);
    expect(u8(decoded.dataHeader)).toEqual(header);
    expect(u8(decoded.appMetadata)).toEqual(metadata);
    expect(u8(decoded.dataBody)).toEqual(u8(Buffer.concat(parts)));
    const reference = toBinary(
      FlightDataSchema,
      create(FlightDataSchema, {
        dataHeader: header,
        appMetadata: metadata,
        dataBody: Buffer.concat(parts),
      }),
    );
    expect(Buffer.from(framed).equals(Buffer.from(reference))).toBe(true);
  });

  it('reads a protobuf-encoded message as views, with the descriptor kept raw', () => {
    const descriptor = create(FlightDescriptorSchema, {
      type: FlightDescriptor_DescriptorType.PATH,
      path: ['a', 'b'],
    });
    const encoded = toBinary(
      FlightDataSchema,
      create(FlightDataSchema, {
        flightDescriptor: descriptor,
        dataHeader: bytes(10, 1),
        dataBody: bytes(1000, 2),
      }),
    );
    const view = decodeFlightData(encoded);
    expect(u8(view.dataHeader)).toEqual(bytes(10, 1));
    expect(u8(view.dataBody)).toEqual(bytes(1000, 2));
    expect(view.appMetadata.byteLength).toBe(0);
    expect(view.dataBody.buffer).toBe(encoded.buffer);
    expect(fromBinary(FlightDescriptorSchema, view.descriptor!).path).toEqual(['a', 'b']);
  });

  it('skips unknown fields and refuses truncated input', () => {
    const withUnknown = Uint8Array.from([0x20, 0x05, 0x12, 0x01, 0x09]);
    expect(u8(decodeFlightData(withUnknown).dataHeader)).toEqual(Uint8Array.of(9));
    expect(() => decodeFlightData(Uint8Array.from([0x12, 0x05, 0x01]))).toThrow(/past the end/);
    expect(() => decodeFlightData(Uint8Array.from([0x12, 0xff]))).toThrow(/varint/);
  });
});
