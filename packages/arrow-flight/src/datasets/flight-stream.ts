import type { RecordBatch, Schema } from 'apache-arrow';
import type { Principal } from '../auth/principal.js';

/** One record batch of a stream, with the application metadata its FlightData carries. */
export interface StreamBatch {
  readonly batch: RecordBatch;
  /** Sent as FlightData `app_metadata` (the events stream puts its resume position here). */
  readonly appMetadata?: Uint8Array | undefined;
}

/**
 * An open stream. `batches` must stop promptly when `signal` aborts and release what it holds
 * (cursor, transaction) in a `finally`, also when the consumer stops early.
 */
export interface FlightStream {
  readonly schema: Schema;
  batches(signal: AbortSignal): AsyncIterable<StreamBatch> | Iterable<StreamBatch>;
}

/** How a batch is cut: whichever limit is reached first. */
export interface BatchLimits {
  /** Rows per record batch. */
  readonly rows: number;
  /** Approximate bytes per record batch. */
  readonly bytes: number;
}

/** What a stream handler learns about the call. */
export interface StreamContext {
  readonly principal: Principal;
  readonly signal: AbortSignal;
  readonly batch: BatchLimits;
}

/** A dataset the server lists (ListFlights) and can describe by PATH descriptor. */
export interface FlightListing {
  /** The descriptor path (`['view', 'va_orders']`). */
  readonly path: readonly string[];
  /** The request a PATH descriptor stands for. */
  readonly request: unknown;
  /** Row count when known cheaply, else -1. */
  readonly totalRecords?: number | undefined;
}

/**
 * One kind of stream (`view`, `graphql`, `events`, …). The server dispatches descriptors and
 * tickets to handlers by kind; a new kind (Flight SQL commands, DoPut targets) is a new
 * handler, not a change to the RPC code.
 */
export interface StreamHandler<Request = unknown> {
  readonly kind: string;
  /**
   * Validates an untrusted request (from a CMD descriptor, a PATH descriptor or a ticket).
   * @throws {FlightError} `INVALID_ARGUMENT` / `NOT_FOUND`.
   */
  parse(input: unknown): Request;
  /** @throws {FlightError} `PERMISSION_DENIED` when `principal` may not read it. */
  authorize(request: Request, principal: Principal): void;
  /** The Arrow schema the stream will have. */
  schema(request: Request, context: StreamContext): Promise<Schema>;
  /** Opens the stream. */
  open(request: Request, context: StreamContext): Promise<FlightStream>;
  /** Datasets of this kind that `principal` may read. */
  list(principal: Principal): Promise<FlightListing[]>;
  /** The request a PATH descriptor (after the kind segment) names, or undefined. */
  fromPath(path: readonly string[]): Request | undefined;
  /** Row count for FlightInfo, or -1. */
  totalRecords?(request: Request, context: StreamContext): Promise<number>;
  /** Wraps a signed ticket the way this kind's clients expect it (Flight SQL: `TicketStatementQuery`). */
  wrapTicket?(ticket: Uint8Array): Uint8Array;
}
