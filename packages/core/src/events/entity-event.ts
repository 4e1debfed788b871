/** The kind of change an event describes. */
export type EventType = 'INSERT' | 'UPDATE' | 'DELETE' | 'CUSTOM';

/** Every {@link EventType}, in a stable order. */
export const EVENT_TYPES: readonly EventType[] = Object.freeze([
  'INSERT',
  'UPDATE',
  'DELETE',
  'CUSTOM',
]);

/** A JSON value as stored in `object_data` and friends. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
// eslint-disable-next-line @typescript-eslint/consistent-indexed-object-style -- a recursive type needs the interface form
export interface JsonObject {
  [key: string]: JsonValue;
}

/** One field's change in an UPDATE. */
export interface FieldChange {
  readonly old: JsonValue;
  readonly new: JsonValue;
}

/** Context that travels with an event but is not part of the entity. */
export interface EventMetadata {
  /** W3C `traceparent` of the writing transaction, when the writer supplied one. */
  readonly traceparent?: string;
  /** Source table (`schema.table`) the change was captured from. */
  readonly sourceTable?: string;
  /** `change_status` of the change-log row. */
  readonly changeStatus?: string;
  /** Anything else the writer put in `extra_metadata`. */
  readonly [key: string]: JsonValue | undefined;
}

/**
 * One committed row change, the unit every observer, transport and sink handles.
 * `id` is the idempotency key everywhere; `seq` orders events within one change log.
 */
export interface EntityEvent {
  /** UUID of the change-log row. */
  readonly id: string;
  /** Change-log sequence (`pk_entity_change_log`). */
  readonly seq: bigint;
  readonly eventType: EventType;
  readonly entityType: string;
  readonly entityId: string;
  readonly tenantId?: string;
  readonly userId?: string;
  /** The after-image; for DELETE, the before-image. */
  readonly data: JsonObject;
  /** The pre-image, when captured. */
  readonly before?: JsonObject;
  /** For UPDATE: changed fields with old and new values. */
  readonly changes?: Readonly<Record<string, FieldChange>>;
  /** Commit time of the change. */
  readonly timestamp: Date;
  readonly metadata?: EventMetadata;
}

/**
 * The JSON form of an {@link EntityEvent}: `seq` as a decimal string (it is a bigint) and
 * `timestamp` as an ISO-8601 string. This is what crosses NATS, queues and HTTP.
 */
export interface EntityEventJson {
  readonly id: string;
  readonly seq: string;
  readonly eventType: EventType;
  readonly entityType: string;
  readonly entityId: string;
  readonly tenantId?: string;
  readonly userId?: string;
  readonly data: JsonObject;
  readonly before?: JsonObject;
  readonly changes?: Readonly<Record<string, FieldChange>>;
  readonly timestamp: string;
  readonly metadata?: EventMetadata;
}
