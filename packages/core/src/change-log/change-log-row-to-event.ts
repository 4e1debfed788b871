import { CoreError } from '../errors/core-error.js';
import { jsonEqual } from '../json/json-equal.js';
import { stringifyJson } from '../json/stringify-json.js';
import type {
  EntityEvent,
  EventType,
  FieldChange,
  JsonObject,
  JsonValue,
} from '../events/entity-event.js';
import type { ChangeLogRow } from './change-log-row.js';
import { asDebeziumEnvelope, envelopeEventType } from './debezium-envelope.js';
import { parseTextArray } from './parse-text-array.js';

const KINDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'NOOP', 'CUSTOM']);

/**
 * False for rows that are not events: `NOOP` rows (FraiseQL records mutations that changed
 * nothing). Sources skip them, and advance past them, instead of converting them.
 */
export function isDeliverableRow(row: Pick<ChangeLogRow, 'modification_type'>): boolean {
  return row.modification_type.toUpperCase() !== 'NOOP';
}

/**
 * Converts a change-log row to an {@link EntityEvent}: `data` is the after-image (the
 * before-image for DELETE), `before` the pre-image when the row has one (a partial pre-image, as
 * the capture trigger stores by default, is completed from the after-image), and `changes`
 * lists the `updated_fields` of an UPDATE with old and new values when a pre-image exists.
 * A Debezium-style envelope in `object_data` (`{ op, before, after, source }`) is unwrapped.
 *
 * @throws {CoreError} `MALFORMED_CHANGE_LOG_ROW` naming the row (`details.seq`, `details.id`)
 *   and the offending column; also for `NOOP` rows, which callers skip with
 *   {@link isDeliverableRow}.
 */
export function changeLogRowToEvent(row: ChangeLogRow): EntityEvent {
  // Rows come from drivers and other writers: check every column instead of trusting the type.
  // This runs once per delivered event: no closures, spreads or throwaway objects per row.
  const raw: RawRow = row;
  const seq = readSeq(raw);
  const id = raw.id;
  if (typeof id !== 'string' || id === '') return failRow(raw, 'id', 'a uuid', id);
  let eventType = readKind(raw);
  const entityType = raw.object_type;
  if (typeof entityType !== 'string' || entityType === '') {
    return failRow(raw, 'object_type', 'a non-empty string', entityType);
  }
  const entityId = optionalText(raw.object_id);
  if (entityId === undefined) {
    return failRow(raw, 'object_id', 'the id of the changed entity', raw.object_id);
  }
  const timestamp = readTimestamp(raw);

  const objectData = readObject(raw, raw.object_data, 'object_data');
  let after = objectData;
  let before = readObject(raw, raw.object_data_before, 'object_data_before');
  let metadata: Record<string, JsonValue> | undefined;
  const envelope = objectData === null ? undefined : asDebeziumEnvelope(objectData);
  if (envelope !== undefined) {
    const envelopeType = envelopeEventType(envelope);
    if (eventType !== 'CUSTOM' && eventType !== envelopeType) {
      failRow(raw, 'object_data.op', `an op matching modification_type ${eventType}`, envelope.op);
    }
    eventType = eventType === 'CUSTOM' ? 'CUSTOM' : envelopeType;
    after = envelope.after;
    before = envelope.before ?? before;
    if (envelope.source !== undefined) metadata = { envelopeSource: envelope.source };
  }

  const updatedFields = readUpdatedFields(raw);
  let data: JsonObject;
  let changes: Record<string, FieldChange> | undefined;
  switch (eventType) {
    case 'INSERT':
    case 'UPDATE': {
      if (after === null) {
        return failRow(
          raw,
          'object_data',
          `the ${eventType === 'INSERT' ? 'inserted' : 'updated'} row`,
          row.object_data,
        );
      }
      data = after;
      if (eventType === 'UPDATE' && before !== null) {
        // A partial pre-image holds only the changed fields; the rest equals the after-image.
        before = { ...after, ...before };
        changes = fieldChanges(before, after, updatedFields);
      }
      break;
    }
    case 'DELETE':
      data = before ?? after ?? {};
      break;
    case 'CUSTOM':
      data = after ?? {};
      break;
  }

  const extra = readObject(raw, raw.extra_metadata, 'extra_metadata');
  if (extra !== null) metadata = readExtraMetadata(raw, extra, metadata);
  if (typeof raw.change_status === 'string' && raw.change_status !== '') {
    (metadata ??= {}).changeStatus = raw.change_status;
  }

  // Built in one order (optional fields only when present), so events share hidden classes
  // and serialise with the same key order as before.
  const event: EventDraft = { id, seq, eventType, entityType, entityId };
  const tenantId = optionalText(raw.tenant_id);
  if (tenantId !== undefined) event.tenantId = tenantId;
  const userId = optionalText(raw.fk_contact);
  if (userId !== undefined) event.userId = userId;
  event.data = data;
  if (before !== null && eventType !== 'INSERT') event.before = before;
  if (changes !== undefined) event.changes = changes;
  event.timestamp = timestamp;
  if (metadata !== undefined) event.metadata = metadata;
  return event as EntityEvent;
}

/** An {@link EntityEvent} while {@link changeLogRowToEvent} fills it in. */
type EventDraft = { -readonly [K in keyof EntityEvent]?: EntityEvent[K] } & {
  id: string;
  seq: bigint;
  eventType: EventType;
  entityType: string;
  entityId: string;
};

type RawRow = Readonly<Partial<Record<keyof ChangeLogRow, unknown>>>;

function failRow(row: RawRow, column: string, expected: string, got: unknown): never {
  const seq = describeKey(row.pk_entity_change_log);
  const id = describeKey(row.id);
  throw new CoreError(
    'MALFORMED_CHANGE_LOG_ROW',
    `change-log row ${seq} (id ${id}): ${column}: expected ${expected}, got ${describe(got)}`,
    { details: { seq, id, column } },
  );
}

function readKind(raw: RawRow): EventType {
  const value = raw.modification_type;
  // The usual spellings first, without allocating an upper-cased copy.
  switch (value) {
    case 'INSERT':
    case 'UPDATE':
    case 'DELETE':
    case 'CUSTOM':
      return value;
  }
  const kind = typeof value === 'string' ? value.toUpperCase() : '';
  if (!KINDS.has(kind)) {
    failRow(raw, 'modification_type', 'one of INSERT, UPDATE, DELETE, NOOP, CUSTOM', value);
  }
  if (kind === 'NOOP') {
    failRow(
      raw,
      'modification_type',
      'an event kind (NOOP rows are not events: skip them with isDeliverableRow)',
      value,
    );
  }
  return kind as EventType;
}

function readExtraMetadata(
  raw: RawRow,
  extra: JsonObject,
  into: Record<string, JsonValue> | undefined,
): Record<string, JsonValue> | undefined {
  let metadata = into;
  for (const key in extra) {
    if (!Object.hasOwn(extra, key) || key === 'source_table' || key === 'traceparent') continue;
    (metadata ??= {})[key] = extra[key] as JsonValue;
  }
  const sourceTable = extra.source_table;
  if (sourceTable !== undefined && sourceTable !== null) {
    if (typeof sourceTable !== 'string') {
      failRow(raw, 'extra_metadata.source_table', 'a string', sourceTable);
    }
    (metadata ??= {}).sourceTable = sourceTable;
  }
  const traceparent = extra.traceparent;
  if (traceparent !== undefined && traceparent !== null) {
    if (typeof traceparent !== 'string') {
      failRow(raw, 'extra_metadata.traceparent', 'a string', traceparent);
    }
    (metadata ??= {}).traceparent = traceparent;
  }
  return metadata;
}

function readSeq(raw: RawRow): bigint {
  const value = raw.pk_entity_change_log;
  if (typeof value === 'bigint' && value >= 0n) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  return failRow(raw, 'pk_entity_change_log', 'a non-negative integer', value);
}

function optionalText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'bigint') return value.toString();
  return undefined;
}

function readTimestamp(raw: RawRow): Date {
  const value = raw.created_at;
  const timestamp =
    value instanceof Date
      ? value
      : typeof value === 'string' || typeof value === 'number'
        ? new Date(value)
        : undefined;
  if (timestamp === undefined || Number.isNaN(timestamp.getTime())) {
    return failRow(raw, 'created_at', 'a timestamp', value);
  }
  return timestamp;
}

function describeKey(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint'
    ? value.toString()
    : '?';
}

// jsonb arrives parsed from node-postgres and PGlite, but as text from json columns, from
// `::text` casts, or when FraiseQL stored a JSON document as a jsonb string.
function readObject(raw: RawRow, value: unknown, column: string): JsonObject | null {
  if (value === null || value === undefined) return null;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      return failRow(raw, column, 'an object', value);
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return failRow(raw, column, 'an object', value);
  }
  return parsed as JsonObject;
}

function readUpdatedFields(raw: RawRow): readonly string[] | undefined {
  const value = raw.updated_fields;
  if (value === null || value === undefined) return undefined;
  const fields = typeof value === 'string' ? parseTextArray(value) : value;
  if (!Array.isArray(fields))
    return failRow(raw, 'updated_fields', 'an array of field names', value);
  const names: unknown[] = fields;
  if (!names.every((field): field is string => typeof field === 'string')) {
    return failRow(raw, 'updated_fields', 'an array of field names', value);
  }
  return names;
}

function fieldChanges(
  before: JsonObject,
  after: JsonObject,
  updatedFields: readonly string[] | undefined,
): Record<string, FieldChange> {
  const fields =
    updatedFields ??
    [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
      (field) => !jsonEqual(before[field], after[field]),
    );
  const changes: Record<string, FieldChange> = {};
  for (const field of fields) {
    changes[field] = { old: before[field] ?? null, new: after[field] ?? null };
  }
  return changes;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'bigint') return value.toString();
  const text = stringifyJson(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
