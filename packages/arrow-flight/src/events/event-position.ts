import { FlightError } from '../errors.js';

/**
 * Where an event stream stands in the change log: every row at or before
 * `(transactionId, seq)` in `(transaction_id, pk_entity_change_log)` order that was below the
 * visibility horizon has been read. Sent as `"<transactionId>:<seq>"`.
 */
export interface EventPosition {
  readonly transactionId: bigint;
  readonly seq: bigint;
}

/** The position before every row. */
export const LOG_START: EventPosition = Object.freeze({ transactionId: 0n, seq: 0n });

const FORMAT = /^(\d{1,20}):(\d{1,20})$/;

/** `"<transactionId>:<seq>"`. */
export function formatEventPosition(position: EventPosition): string {
  return `${position.transactionId.toString()}:${position.seq.toString()}`;
}

/** @throws {FlightError} `INVALID_ARGUMENT` for text that is not a position. */
export function parseEventPosition(text: string, path = 'after'): EventPosition {
  const match = FORMAT.exec(text);
  if (match === null) {
    throw new FlightError(
      'INVALID_ARGUMENT',
      `${path}: expected a resume position "<transaction id>:<sequence>" from a batch's app_metadata, got ${JSON.stringify(text.slice(0, 64))}`,
    );
  }
  return { transactionId: BigInt(match[1] ?? '0'), seq: BigInt(match[2] ?? '0') };
}

/** True when `a` is after `b`. */
export function isAfter(a: EventPosition, b: EventPosition): boolean {
  return (
    a.transactionId > b.transactionId || (a.transactionId === b.transactionId && a.seq > b.seq)
  );
}

/** What every batch of an event stream carries as FlightData `app_metadata` (UTF-8 JSON). */
export interface EventBatchMetadata {
  /** Resume position: pass it as `after` to continue with no gap and no duplicate. */
  readonly resume: string;
  /** Sequence of the last event of the batch; absent on a progress batch with no rows. */
  readonly lastSeq?: string | undefined;
  /** Events in the batch. */
  readonly events: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The `app_metadata` bytes of a batch. */
export function encodeEventMetadata(metadata: EventBatchMetadata): Uint8Array {
  return encoder.encode(JSON.stringify(metadata));
}

/**
 * Reads an event batch's `app_metadata`.
 * @throws {FlightError} `INVALID_ARGUMENT` when it is not event-stream metadata.
 */
export function decodeEventMetadata(bytes: Uint8Array): EventBatchMetadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    throw new FlightError('INVALID_ARGUMENT', 'event batch app_metadata: not JSON', { cause });
  }
  const value = parsed as Partial<EventBatchMetadata> | null;
  if (value === null || typeof value.resume !== 'string' || typeof value.events !== 'number') {
    throw new FlightError('INVALID_ARGUMENT', 'event batch app_metadata: no resume position');
  }
  parseEventPosition(value.resume, 'app_metadata.resume');
  return {
    resume: value.resume,
    events: value.events,
    ...(typeof value.lastSeq === 'string' ? { lastSeq: value.lastSeq } : {}),
  };
}
