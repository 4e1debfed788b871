import type { Delivery, EntityEvent } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';
import { createMemorySource } from './memory-source.js';

function event(n: number): EntityEvent {
  return {
    id: `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`,
    seq: BigInt(n),
    eventType: 'INSERT',
    entityType: 'order',
    entityId: String(n),
    data: { n },
    timestamp: new Date(),
  };
}

async function until(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('createMemorySource', () => {
  it('delivers in publish order and holds back beyond maxInFlight', async () => {
    const source = createMemorySource();
    const deliveries: Delivery[] = [];
    source.publish([event(1), event(2), event(3)]);
    await source.start({ maxInFlight: 2, onDelivery: (d) => void deliveries.push(d) });
    await until(() => deliveries.length === 2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(deliveries).toHaveLength(2);
    await deliveries[0]!.settle({ status: 'done' });
    await until(() => deliveries.length === 3);
    expect(deliveries.map((d) => d.event.seq)).toEqual([1n, 2n, 3n]);
    expect((await source.backlog()).events).toBe(2);
    await source.close();
  });

  it('redelivers a retried event with the attempt raised, and parks a dead one', async () => {
    const source = createMemorySource();
    const deliveries: Delivery[] = [];
    await source.start({ onDelivery: (d) => void deliveries.push(d) });
    source.publish(event(7));
    await until(() => deliveries.length === 1);
    await deliveries[0]!.settle({ status: 'retry', delayMs: 5, error: new Error('later') });
    await until(() => deliveries.length === 2);
    expect(deliveries[1]).toMatchObject({ attempt: 2, event: { id: event(7).id } });
    await expect(deliveries[0]!.settle({ status: 'done' })).rejects.toThrow(/already settled/);
    await deliveries[1]!.settle({ status: 'dead', error: new Error('gave up') });
    expect(source.parked()).toMatchObject([{ attempts: 2, event: { seq: 7n } }]);
    expect((await source.backlog()).events).toBe(0);
    await source.close();
    expect(() => {
      source.publish(event(8));
    }).toThrow(/closed/);
  });
});
