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
  const raw: RawRow = row;
  const fail: Fail = rowFailure(raw);
  const seq = readSeq(raw.pk_entity_change_log, fail);
  const id = raw.id;
  if (typeof id !== 'string' || id === '') return fail('id', 'a uuid', id);
  const kind = typeof raw.modification_type === 'string' ? raw.modification_type.toUpperCase() : '';
  if (!KINDS.has(kind)) {
    fail('modification_type', 'one of INSERT, UPDATE, DELETE, NOOP, CUSTOM', raw.modification_type);
  }
  if (kind === 'NOOP') {
    fail(
      'modification_type',
      'an event kind (NOOP rows are not events: skip them with isDeliverableRow)',
      raw.modification_type,
    );
  }
  let eventType = kind as EventType;
  const entityType = raw.object_type;
  if (typeof entityType !== 'string' || entityType === '') {
    return fail('object_type', 'a non-empty string', entityType);
  }
  const entityId = optionalText(raw.object_id);
  if (entityId === undefined) fail('object_id', 'the id of the changed entity', raw.object_id);
  const timestamp = readTimestamp(raw.created_at, fail);

  const objectData = readObject(raw.object_data, 'object_data', fail);
  let after = objectData;
  let before = readObject(raw.object_data_before, 'object_data_before', fail);
  const metadata: Record<string, JsonValue> = {};
  const envelope = objectData === null ? undefined : asDebeziumEnvelope(objectData);
  if (envelope !== undefined) {
    const envelopeType = envelopeEventType(envelope);
    if (eventType !== 'CUSTOM' && eventType !== envelopeType) {
      fail('object_data.op', `an op matching modification_type ${eventType}`, envelope.op);
    }
    eventType = eventType === 'CUSTOM' ? 'CUSTOM' : envelopeType;
    after = envelope.after;
    before = envelope.before ?? before;
    if (envelope.source !== undefined) metadata.envelopeSource = envelope.source;
  }

  const updatedFields = readUpdatedFields(raw.updated_fields, fail);
  let data: JsonObject;
  let changes: Record<string, FieldChange> | undefined;
  switch (eventType) {
    case 'INSERT':
    case 'UPDATE': {
      if (after === null)
        fail(
          'object_data',
          `the ${eventType === 'INSERT' ? 'inserted' : 'updated'} row`,
          row.object_data,
        );
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

  const extra = readObject(raw.extra_metadata, 'extra_metadata', fail) ?? {};
  for (const [key, value] of Object.entries(extra)) {
    if (key === 'source_table' || key === 'traceparent') continue;
    metadata[key] = value;
  }
  if (extra.source_table !== undefined && extra.source_table !== null) {
    if (typeof extra.source_table !== 'string')
      fail('extra_metadata.source_table', 'a string', extra.source_table);
    metadata.sourceTable = extra.source_table;
  }
  if (extra.traceparent !== undefined && extra.traceparent !== null) {
    if (typeof extra.traceparent !== 'string')
      fail('extra_metadata.traceparent', 'a string', extra.traceparent);
    metadata.traceparent = extra.traceparent;
  }
  if (typeof raw.change_status === 'string' && raw.change_status !== '') {
    metadata.changeStatus = raw.change_status;
  }

  const tenantId = optionalText(raw.tenant_id);
  const userId = optionalText(raw.fk_contact);
  return {
    id,
    seq,
    eventType,
    entityType,
    entityId,
    ...(tenantId === undefined ? {} : { tenantId }),
    ...(userId === undefined ? {} : { userId }),
    data,
    ...(before === null || eventType === 'INSERT' ? {} : { before }),
    ...(changes === undefined ? {} : { changes }),
    timestamp,
    ...(Object.keys(metadata).length === 0 ? {} : { metadata }),
  };
}

type RawRow = Readonly<Partial<Record<keyof ChangeLogRow, unknown>>>;
type Fail = (column: string, expected: string, got: unknown) => never;

function rowFailure(row: RawRow): Fail {
  const seq = describeKey(row.pk_entity_change_log);
  const id = describeKey(row.id);
  return (column, expected, got) => {
    throw new CoreError(
      'MALFORMED_CHANGE_LOG_ROW',
      `change-log row ${seq} (id ${id}): ${column}: expected ${expected}, got ${describe(got)}`,
      { details: { seq, id, column } },
    );
  };
}

function readSeq(value: unknown, fail: Fail): bigint {
  if (typeof value === 'bigint' && value >= 0n) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  return fail('pk_entity_change_log', 'a non-negative integer', value);
}

function optionalText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'bigint') return value.toString();
  return undefined;
}

function readTimestamp(value: unknown, fail: Fail): Date {
  const timestamp =
    value instanceof Date
      ? value
      : typeof value === 'string' || typeof value === 'number'
        ? new Date(value)
        : undefined;
  if (timestamp === undefined || Number.isNaN(timestamp.getTime())) {
    return fail('created_at', 'a timestamp', value);
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
function readObject(value: unknown, column: string, fail: Fail): JsonObject | null {
  if (value === null || value === undefined) return null;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      return fail(column, 'an object', value);
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail(column, 'an object', value);
  }
  return parsed as JsonObject;
}

function readUpdatedFields(value: unknown, fail: Fail): readonly string[] | undefined {
  if (value === null || value === undefined) return undefined;
  const fields = typeof value === 'string' ? parseTextArray(value) : value;
  if (!Array.isArray(fields)) return fail('updated_fields', 'an array of field names', value);
  const names: unknown[] = fields;
  if (!names.every((field): field is string => typeof field === 'string')) {
    return fail('updated_fields', 'an array of field names', value);
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
