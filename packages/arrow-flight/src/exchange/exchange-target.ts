import type { Principal } from '../auth/principal.js';
import type { BatchLimits } from '../datasets/flight-stream.js';
import type { FlightDataFrame } from '../protocol/flight-data-frame.js';
import type { FlightDataView } from '../protocol/flight-data.js';

/** What a DoExchange session learns about its call. */
export interface ExchangeContext {
  readonly principal: Principal;
  /** Aborts when the client cancels, the stream is cancelled or the server shuts down. */
  readonly signal: AbortSignal;
  readonly batch: BatchLimits;
}

/** The two directions of a DoExchange call, as a session sees them. */
export interface ExchangeIo {
  /**
   * The client's messages after the first (which named the session), pulled one at a time;
   * ends when the client half-closes its side.
   */
  readonly messages: AsyncIterable<FlightDataView>;
  /** Writes one message to the client, waiting while grpc-js's send buffer is full. */
  write(frame: FlightDataFrame): Promise<void>;
  /** Counts a record batch the session sent, for the server's metrics. */
  batchSent(rows: number, bytes: number): void;
}

/** Runs one DoExchange call until it is done; a rejection ends the call with its status. */
export type ExchangeSession = (io: ExchangeIo, context: ExchangeContext) => Promise<void>;

/** Takes DoExchange calls whose first message's CMD descriptor it recognises. */
export interface ExchangeTarget {
  /** Stream kind in health and metrics. */
  readonly kind: string;
  /**
   * The session for a CMD descriptor, or undefined when the command is not this target's.
   * @throws {FlightError} for a command it recognises but refuses (bad request, no permission).
   */
  accept(cmd: Uint8Array, principal: Principal): ExchangeSession | undefined;
}
