import type { RecordBatch } from 'apache-arrow';
import type { Principal } from '../auth/principal.js';
import type { BatchLimits, StreamHandler } from '../datasets/flight-stream.js';
import type { CommandDecoder } from './descriptor-router.js';
import type { ExchangeTarget } from '../exchange/exchange-target.js';

/** What an action or upload learns about the call. */
export interface ExtensionContext {
  readonly principal: Principal;
  readonly signal: AbortSignal;
  readonly batch: BatchLimits;
}

/** A DoAction type served by an extension. */
export interface FlightAction {
  readonly type: string;
  readonly description: string;
  /** Returns the `Result` bodies to send. */
  run(body: Uint8Array, principal: Principal, context: ExtensionContext): Promise<Uint8Array[]>;
}

/** Consumes an upload's record batches; returns the `PutResult.app_metadata` to send. */
export type PutConsumer = (
  batches: AsyncIterable<RecordBatch>,
  context: ExtensionContext,
) => Promise<Uint8Array[]>;

/** Takes DoPut streams whose CMD descriptor it recognises. */
export interface PutTarget {
  /**
   * The consumer for a CMD descriptor, or undefined when the command is not this target's.
   * @throws {FlightError} for a command it recognises but refuses.
   */
  accept(cmd: Uint8Array): PutConsumer | undefined;
}

/**
 * A bundle of server additions (Flight SQL is one): stream kinds, command formats, actions and
 * upload targets, passed together as `startFlightServer({ extensions })`.
 */
export interface FlightExtension {
  readonly handlers?: readonly StreamHandler[] | undefined;
  readonly commandDecoders?: readonly CommandDecoder[] | undefined;
  readonly actions?: readonly FlightAction[] | undefined;
  readonly putTargets?: readonly PutTarget[] | undefined;
  /** DoExchange sessions by CMD descriptor (the durable event consumer is one). */
  readonly exchangeTargets?: readonly ExchangeTarget[] | undefined;
}
