import { fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { FlightService } from '../gen/Flight_pb.js';
import { decodeFlightData } from './flight-data.js';

const FLIGHT_DATA = 'arrow.flight.protocol.FlightData';

/** The Flight RPC names as grpc-js handler keys. */
export type FlightMethodName =
  | 'Handshake'
  | 'ListFlights'
  | 'GetFlightInfo'
  | 'PollFlightInfo'
  | 'GetSchema'
  | 'DoGet'
  | 'DoPut'
  | 'DoExchange'
  | 'DoAction'
  | 'ListActions';

function codec(
  message: DescMessage,
): Pick<MethodDefinition<unknown, unknown>, 'requestSerialize' | 'requestDeserialize'> {
  // FlightData is framed by hand from IPC buffers on write and read as zero-copy views; the
  // generated protobuf objects are only for the small control messages. A FlightDataFrame is
  // handed to grpc-js as is: grpc-js only reads its length and calls `copy` into the buffer it
  // sends, so the IPC body is written once, straight into that buffer.
  if (message.typeName === FLIGHT_DATA) {
    return {
      requestSerialize: (value) => value as Buffer,
      requestDeserialize: (bytes) => decodeFlightData(bytes),
    };
  }
  return {
    requestSerialize: (value) =>
      Buffer.from(toBinary(message, value as MessageShape<typeof message>)),
    requestDeserialize: (bytes) => fromBinary(message, bytes),
  };
}

/**
 * The grpc-js service definition of `arrow.flight.protocol.FlightService`, built from the
 * generated descriptors. FlightData is written as a pre-framed `Buffer` (see
 * `encodeFlightData`) or a `FlightDataFrame` and read as a `FlightDataView`; every other message is the generated
 * protobuf-es type.
 */
export const flightServiceDefinition: ServiceDefinition = Object.fromEntries(
  FlightService.methods.map((method) => {
    const input = codec(method.input);
    const output = codec(method.output);
    const definition: MethodDefinition<unknown, unknown> = {
      path: `/${FlightService.typeName}/${method.name}`,
      requestStream:
        method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream:
        method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: input.requestSerialize,
      requestDeserialize: input.requestDeserialize,
      responseSerialize: output.requestSerialize,
      responseDeserialize: output.requestDeserialize,
    };
    return [method.name, definition];
  }),
);
