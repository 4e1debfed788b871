import { create } from '@bufbuild/protobuf';
import {
  FlightDescriptor_DescriptorType,
  FlightDescriptorSchema,
  type FlightDescriptor,
} from '../gen/Flight_pb.js';

/** A PATH descriptor: `pathDescriptor('view', 'va_orders')`. */
export function pathDescriptor(...path: string[]): FlightDescriptor {
  return create(FlightDescriptorSchema, { type: FlightDescriptor_DescriptorType.PATH, path });
}

/**
 * A CMD descriptor carrying a JSON command:
 * `commandDescriptor({ kind: 'graphql', query: '{ orders { id } }' })`.
 */
export function commandDescriptor(
  command: { kind: string } & Record<string, unknown>,
): FlightDescriptor {
  return create(FlightDescriptorSchema, {
    type: FlightDescriptor_DescriptorType.CMD,
    cmd: new TextEncoder().encode(JSON.stringify(command)),
  });
}
