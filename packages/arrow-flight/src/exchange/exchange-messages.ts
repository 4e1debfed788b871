import { FlightError } from '../errors.js';

/** What each record batch of an event exchange carries as FlightData `app_metadata`. */
export interface ExchangeBatchMetadata {
  /** Events in the batch. */
  readonly events: number;
  /** Sequence of the batch's first and last event (in the order sent). */
  readonly firstSeq: string;
  readonly lastSeq: string;
  /** Events of the batch delivered before to this consumer and never acknowledged. */
  readonly redelivered: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const SEQ = /^\d{1,19}$/;

function json(bytes: Uint8Array, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    throw new FlightError('INVALID_ARGUMENT', `${what}: app_metadata is not JSON`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new FlightError('INVALID_ARGUMENT', `${what}: app_metadata must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function seqOf(value: unknown, path: string): string {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !SEQ.test(text)) {
    throw new FlightError(
      'INVALID_ARGUMENT',
      `${path}: expected an event sequence as a decimal string, got ${(JSON.stringify(value) as string | undefined)?.slice(0, 64) ?? 'nothing'}`,
    );
  }
  return text;
}

/** The `app_metadata` of a batch the server sends. */
export function encodeBatchMetadata(metadata: ExchangeBatchMetadata): Uint8Array {
  return encoder.encode(JSON.stringify(metadata));
}

/** @throws {FlightError} `INVALID_ARGUMENT` when it is not exchange batch metadata. */
export function decodeBatchMetadata(bytes: Uint8Array): ExchangeBatchMetadata {
  const value = json(bytes, 'event exchange batch');
  return {
    events: typeof value.events === 'number' ? value.events : 0,
    firstSeq: seqOf(value.firstSeq, 'event exchange batch: firstSeq'),
    lastSeq: seqOf(value.lastSeq, 'event exchange batch: lastSeq'),
    redelivered: typeof value.redelivered === 'number' ? value.redelivered : 0,
  };
}

/** The `app_metadata` of a client's acknowledgement: `{"ack": "<seq>"}`. */
export function encodeAck(seq: string): Uint8Array {
  return encoder.encode(JSON.stringify({ ack: seq }));
}

/** @throws {FlightError} `INVALID_ARGUMENT` for anything but `{"ack": "<seq>"}`. */
export function decodeAck(bytes: Uint8Array): string {
  const value = json(bytes, 'event exchange acknowledgement');
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'ack') {
    throw new FlightError(
      'INVALID_ARGUMENT',
      `event exchange acknowledgement: expected {"ack": "<seq>"}, got keys ${JSON.stringify(keys.slice(0, 8))}`,
    );
  }
  return seqOf(value.ack, 'event exchange acknowledgement: ack');
}

/** The `app_metadata` of the server's answer once an acknowledgement is stored. */
export function encodeAcked(seq: string): Uint8Array {
  return encoder.encode(JSON.stringify({ acked: seq }));
}

/** The sequence a stored-acknowledgement message names, or undefined when it is not one. */
export function decodeAcked(bytes: Uint8Array): string | undefined {
  try {
    const value = JSON.parse(decoder.decode(bytes)) as { acked?: unknown } | null;
    return typeof value?.acked === 'string' && SEQ.test(value.acked) ? value.acked : undefined;
  } catch {
    return undefined;
  }
}
