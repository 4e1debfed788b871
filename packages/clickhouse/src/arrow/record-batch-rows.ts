import { ClickHouseError } from '../errors.js';
import type { SinkRow } from '../sink/sink-row.js';
import type { ArrowRecordBatch, ArrowVector } from './arrow-types.js';

// apache-arrow `Type` enum values (stable across releases) and `TimeUnit`.
const TYPE_INT = 2;
const TYPE_UTF8 = 5;
const TYPE_TIMESTAMP = 10;
const TYPE_DICTIONARY = -1;
const TYPE_LARGE_UTF8 = 20;
const MICROS_PER_UNIT = [1_000_000n, 1_000n, 1n] as const; // SECOND, MILLISECOND, MICROSECOND

const TEXT = new Set([TYPE_UTF8, TYPE_LARGE_UTF8, TYPE_DICTIONARY]);
const REQUIRED = ['event_id', 'seq', 'event_type', 'entity_type', 'entity_id', 'timestamp', 'data'];

/**
 * The rows of an Arrow batch in the event schema (DESIGN.md §3): `event_id`, `seq` Int64,
 * `event_type`, `entity_type`, `entity_id`, `timestamp` Timestamp(µs, UTC), `data` (JSON text),
 * optional `user_id` and `tenant_id`; strings may be plain or dictionary-encoded. Values are
 * copied as they are: the event kind is checked by the server, so a bad one is dead-lettered.
 *
 * @throws {ClickHouseError} `ARROW_SCHEMA` naming the missing or mistyped column
 */
export function recordBatchRows(batch: ArrowRecordBatch): SinkRow[] {
  const column = (name: string, optional = false): ArrowVector | undefined => {
    const vector = batch.getChild(name) ?? undefined;
    if (vector === undefined && !optional) {
      const have = batch.schema.fields.map((field) => field.name).join(', ');
      throw new ClickHouseError(
        'ARROW_SCHEMA',
        `arrow batch: column "${name}" is missing (have: ${have}); the event schema needs ${REQUIRED.join(', ')}`,
      );
    }
    return vector;
  };
  const text = (name: string, optional = false): ArrowVector | undefined => {
    const vector = column(name, optional);
    if (vector !== undefined && !TEXT.has(vector.type.typeId)) {
      throw new ClickHouseError('ARROW_SCHEMA', `arrow batch: column "${name}" must be Utf8`);
    }
    return vector;
  };
  const eventId = text('event_id');
  const eventType = text('event_type');
  const entityType = text('entity_type');
  const entityId = text('entity_id');
  const data = text('data');
  const userId = text('user_id', true);
  const tenantId = text('tenant_id', true);
  const seq = column('seq');
  const timestamp = column('timestamp');
  if (seq?.type.typeId !== TYPE_INT) {
    throw new ClickHouseError('ARROW_SCHEMA', 'arrow batch: column "seq" must be Int64');
  }
  const unit = timestamp?.type.unit;
  if (timestamp?.type.typeId !== TYPE_TIMESTAMP || unit === undefined || unit > 2) {
    throw new ClickHouseError(
      'ARROW_SCHEMA',
      'arrow batch: column "timestamp" must be Timestamp in s, ms or µs',
    );
  }
  const scale = MICROS_PER_UNIT[unit as 0 | 1 | 2];
  const str = (vector: ArrowVector | undefined, i: number): string => {
    const value = vector?.get(i);
    if (value === null || value === undefined) return '';
    return typeof value === 'string'
      ? value
      : JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  };
  const rows: SinkRow[] = [];
  for (let i = 0; i < batch.numRows; i++) {
    rows.push({
      eventId: str(eventId, i),
      seq: int64At(seq, i),
      eventType: str(eventType, i),
      entityType: str(entityType, i),
      entityId: str(entityId, i),
      tenantId: str(tenantId, i),
      userId: str(userId, i),
      timestampMicros: int64At(timestamp, i) * scale,
      data: str(data, i) === '' ? 'null' : str(data, i),
    });
  }
  return rows;
}

/** Reads a 64-bit value from the raw buffers (exact; `get` converts timestamps to float ms). */
function int64At(vector: ArrowVector, index: number): bigint {
  let i = index;
  for (const chunk of vector.data) {
    if (i < chunk.length) {
      const values = chunk.values;
      if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
        return values[chunk.offset + i] ?? 0n;
      }
      const value = vector.get(index);
      return typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value ?? 0)));
    }
    i -= chunk.length;
  }
  return 0n;
}
