import type { EventType, JsonObject } from '../events/entity-event.js';

/** The Debezium-style envelope FraiseQL may write in `object_data`. */
export interface DebeziumEnvelope {
  readonly op: 'c' | 'u' | 'd' | 'r';
  readonly before: JsonObject | null;
  readonly after: JsonObject | null;
  readonly source: JsonObject | undefined;
}

const OPS: Readonly<Record<string, EventType>> = {
  c: 'INSERT',
  r: 'INSERT',
  u: 'UPDATE',
  d: 'DELETE',
};

/**
 * Reads `{ op, before, after, source? }` when `value` has that shape (op one of `c u d r`,
 * `before` and `after` objects or null); anything else is a plain entity image.
 */
export function asDebeziumEnvelope(value: JsonObject): DebeziumEnvelope | undefined {
  const { op, before, after, source } = value;
  if (typeof op !== 'string' || !(op in OPS)) return undefined;
  if (!('before' in value) || !('after' in value)) return undefined;
  if (!isObjectOrNull(before) || !isObjectOrNull(after)) return undefined;
  if (source !== undefined && !isObjectOrNull(source)) return undefined;
  return {
    op: op as DebeziumEnvelope['op'],
    before,
    after,
    source: source ?? undefined,
  };
}

/** The event kind a Debezium `op` stands for (`r`, a snapshot read, counts as an INSERT). */
export function envelopeEventType(envelope: DebeziumEnvelope): EventType {
  return OPS[envelope.op] ?? 'CUSTOM';
}

function isObjectOrNull(value: unknown): value is JsonObject | null {
  return value === null || (typeof value === 'object' && !Array.isArray(value));
}
