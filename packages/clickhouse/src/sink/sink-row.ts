import type { EntityEvent } from '@fraiseql/core';

/** One event as the sink stores it: the columns of the raw table, before encoding. */
export interface SinkRow {
  readonly eventId: string;
  readonly seq: bigint;
  /** Checked by the server (an Enum of the four kinds): anything else is dead-lettered. */
  readonly eventType: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly tenantId: string;
  readonly userId: string;
  /** Commit time in microseconds since the epoch. */
  readonly timestampMicros: bigint;
  /** The after-image (before-image for DELETE) as JSON text. */
  readonly data: string;
}

/** The raw table's columns in the order {@link encodeRow} writes them. */
export const RAW_COLUMNS = [
  'event_id',
  'seq',
  'event_type',
  'entity_type',
  'entity_id',
  'tenant_id',
  'user_id',
  'timestamp',
  'data',
  'payload_bytes',
] as const;

/**
 * An {@link EntityEvent} as a row. Never throws: a value that cannot be stored comes back as
 * `{ error }` for the dead-letter table (row data is attacker-controlled).
 */
export function eventToRow(event: EntityEvent): SinkRow | { readonly error: string } {
  try {
    const millis = event.timestamp instanceof Date ? event.timestamp.getTime() : Number.NaN;
    if (!Number.isFinite(millis)) return { error: 'timestamp: not a valid date' };
    // Typed as a string, but an event cast from untrusted input may hold `undefined`.
    const data = JSON.stringify(event.data) as string | undefined;
    return {
      eventId: event.id,
      seq: event.seq,
      eventType: event.eventType,
      entityType: event.entityType,
      entityId: event.entityId,
      tenantId: event.tenantId ?? '',
      userId: event.userId ?? '',
      timestampMicros: toMicros(Math.round(millis)),
      data: data ?? 'null',
    };
  } catch (error) {
    return {
      error: `event cannot be encoded: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

function toMicros(millis: number): bigint {
  const micros = millis * 1000;
  return Number.isSafeInteger(micros) ? BigInt(micros) : BigInt(millis) * 1000n;
}
