import { CoreError } from '../errors/core-error.js';
import { stringifyJson } from '../json/stringify-json.js';
import {
  EVENT_TYPES,
  type EntityEvent,
  type EntityEventJson,
  type EventMetadata,
  type EventType,
  type FieldChange,
  type JsonObject,
} from './entity-event.js';

/** Converts an event to its JSON form (safe for `JSON.stringify`). */
export function eventToJson(event: EntityEvent): EntityEventJson {
  return {
    id: event.id,
    seq: event.seq.toString(),
    eventType: event.eventType,
    entityType: event.entityType,
    entityId: event.entityId,
    ...(event.tenantId === undefined ? {} : { tenantId: event.tenantId }),
    ...(event.userId === undefined ? {} : { userId: event.userId }),
    data: event.data,
    ...(event.before === undefined ? {} : { before: event.before }),
    ...(event.changes === undefined ? {} : { changes: event.changes }),
    timestamp: event.timestamp.toISOString(),
    ...(event.metadata === undefined ? {} : { metadata: event.metadata }),
  };
}

/** Serialises an event to a JSON string, whatever the depth of its data. */
export function serializeEvent(event: EntityEvent): string {
  return stringifyJson(eventToJson(event));
}

/**
 * Validates and converts the JSON form (an object or a JSON string) back to an event.
 *
 * @throws {CoreError} `MALFORMED_EVENT` naming the offending field.
 */
export function eventFromJson(input: unknown): EntityEvent {
  let value = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
    try {
      value = JSON.parse(text) as unknown;
    } catch (cause) {
      throw new CoreError('MALFORMED_EVENT', `event: not valid JSON (${String(cause)})`, { cause });
    }
  }
  if (!isObject(value)) throw malformed('event', value, 'an object');
  const id = requireString(value, 'id');
  const seqText = value.seq;
  if (
    !(typeof seqText === 'string' || typeof seqText === 'number') ||
    !/^\d+$/.test(String(seqText))
  ) {
    throw malformed('event.seq', seqText, 'a non-negative integer (as a string)');
  }
  const eventType = value.eventType;
  if (typeof eventType !== 'string' || !EVENT_TYPES.includes(eventType as EventType)) {
    throw malformed('event.eventType', eventType, `one of ${EVENT_TYPES.join(', ')}`);
  }
  const timestampText = requireString(value, 'timestamp');
  const timestamp = new Date(timestampText);
  if (Number.isNaN(timestamp.getTime()))
    throw malformed('event.timestamp', timestampText, 'an ISO-8601 time');
  if (!isObject(value.data)) throw malformed('event.data', value.data, 'an object');
  const tenantId = optionalString(value, 'tenantId');
  const userId = optionalString(value, 'userId');
  if (value.before !== undefined && !isObject(value.before)) {
    throw malformed('event.before', value.before, 'an object');
  }
  if (value.changes !== undefined && !isObject(value.changes)) {
    throw malformed('event.changes', value.changes, 'an object');
  }
  if (value.metadata !== undefined && !isObject(value.metadata)) {
    throw malformed('event.metadata', value.metadata, 'an object');
  }
  return {
    id,
    seq: BigInt(String(seqText)),
    eventType: eventType as EventType,
    entityType: requireString(value, 'entityType'),
    entityId: requireString(value, 'entityId'),
    ...(tenantId === undefined ? {} : { tenantId }),
    ...(userId === undefined ? {} : { userId }),
    data: value.data as JsonObject,
    ...(value.before === undefined ? {} : { before: value.before as JsonObject }),
    ...(value.changes === undefined
      ? {}
      : { changes: value.changes as Readonly<Record<string, FieldChange>> }),
    timestamp,
    ...(value.metadata === undefined ? {} : { metadata: value.metadata as EventMetadata }),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(value: Record<string, unknown>, key: string): string {
  const field = value[key];
  if (typeof field !== 'string' || field === '')
    throw malformed(`event.${key}`, field, 'a non-empty string');
  return field;
}

function optionalString(value: Record<string, unknown>, key: string): string | undefined {
  const field = value[key];
  if (field === undefined || field === null) return undefined;
  if (typeof field !== 'string') throw malformed(`event.${key}`, field, 'a string');
  return field;
}

function malformed(path: string, got: unknown, expected: string): CoreError {
  return new CoreError('MALFORMED_EVENT', `${path}: expected ${expected}, got ${describe(got)}`, {
    details: { path },
  });
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = stringifyJson(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
