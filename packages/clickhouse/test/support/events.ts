import { randomUUID } from 'node:crypto';
import type { EntityEvent, EventType } from '@fraiseql/core';

const KINDS: readonly EventType[] = ['INSERT', 'UPDATE', 'DELETE', 'CUSTOM'];

/** `count` events with varied kinds, entities, tenants and payload sizes, `seq` from `firstSeq`. */
export function makeEvents(count: number, firstSeq = 1n, at = new Date()): EntityEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    seq: firstSeq + BigInt(i),
    eventType: KINDS[i % 4]!,
    entityType: i % 3 === 0 ? 'order' : 'customer',
    entityId: `e${String(i % 7)}`,
    ...(i % 5 === 0 ? {} : { tenantId: `t${String(i % 2)}` }),
    userId: 'u1',
    data: { n: i, note: 'x'.repeat(i % 11) },
    timestamp: new Date(at.getTime() - (i % 3) * 1000),
  }));
}

/** Payload size the sink records for an event (`data` as JSON, UTF-8 bytes). */
export function payloadBytes(event: EntityEvent): number {
  return Buffer.byteLength(JSON.stringify(event.data));
}
