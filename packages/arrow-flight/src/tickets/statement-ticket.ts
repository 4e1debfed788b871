import { fromBinary } from '@bufbuild/protobuf';
import { AnySchema, anyUnpack } from '@bufbuild/protobuf/wkt';
import { TicketStatementQuerySchema } from '../gen/FlightSql_pb.js';

const TYPE_URL = 'type.googleapis.com/arrow.flight.protocol.sql.TicketStatementQuery';

/**
 * The signed ticket inside a Flight SQL `TicketStatementQuery` (packed in `Any`), or the bytes
 * unchanged when they are not one. Flight SQL clients send back the ticket FlightInfo gave
 * them; the handle inside is the same signed ticket every other kind uses.
 */
export function unwrapStatementTicket(ticket: Uint8Array): Uint8Array {
  if (ticket.byteLength < 2 || ticket[0] !== 0x0a) return ticket;
  try {
    const any = fromBinary(AnySchema, ticket);
    if (any.typeUrl !== TYPE_URL) return ticket;
    return anyUnpack(any, TicketStatementQuerySchema)?.statementHandle ?? ticket;
  } catch {
    return ticket;
  }
}
