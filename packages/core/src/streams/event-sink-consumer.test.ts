// The shared source → sink consumer with a one-shot source and a sink that never answers:
// close() gives up on the stuck write after closeTimeout and hands its events back.
import { describe, expect, it } from 'vitest';
import type { EntityEvent } from '../events/entity-event.js';
import type { EventSink } from './event-sink.js';
import { createEventSinkConsumer } from './event-sink-consumer.js';
import type { Delivery, DeliveryOutcome, EventSource } from './event-source.js';

function oneShotSource(events: readonly EntityEvent[]) {
  const outcomes: DeliveryOutcome[] = [];
  let closed = false;
  const source: EventSource = {
    kind: 'one-shot',
    start({ onDelivery }) {
      for (const event of events) {
        const delivery: Delivery = {
          event,
          attempt: 1,
          heartbeat: () => Promise.resolve(),
          settle: (outcome) => {
            outcomes.push(outcome);
            return Promise.resolve();
          },
        };
        void onDelivery(delivery);
      }
      return Promise.resolve();
    },
    close: () => {
      closed = true;
      return Promise.resolve();
    },
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
  return { source, outcomes, isClosed: () => closed };
}

const event = (n: number): EntityEvent => ({
  id: `00000000-0000-4000-8000-00000000000${n}`,
  seq: BigInt(n),
  eventType: 'INSERT',
  entityType: 'order',
  entityId: String(n),
  data: {},
  timestamp: new Date(),
});

describe('createEventSinkConsumer', () => {
  it('on close, aborts a write the sink never finishes and hands its events back', async () => {
    const { source, outcomes, isClosed } = oneShotSource([event(1), event(2)]);
    let flushing = false;
    const sink: EventSink = {
      kind: 'stuck',
      write: () => Promise.resolve(),
      flush: ({ signal } = {}) => {
        flushing = true;
        return new Promise((_, reject) => {
          signal?.addEventListener(
            'abort',
            () => {
              reject(signal.reason as Error);
            },
            { once: true },
          );
        });
      },
      close: () => Promise.resolve(),
      [Symbol.asyncDispose]: () => Promise.resolve(),
    };
    const consumer = createEventSinkConsumer({
      source,
      sink,
      maxWait: 1,
      closeTimeout: 20,
    });
    await consumer.start();
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (flushing) {
          clearInterval(check);
          resolve();
        }
      }, 2);
    });
    await consumer.close();
    expect(isClosed()).toBe(true);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['retry', 'retry']);
    expect(consumer.stats()).toMatchObject({ acknowledged: 0, failedFlushes: 1 });
  });

  it('rejects a batch size that is not a positive integer', () => {
    const { source } = oneShotSource([]);
    const sink = { kind: 'x' } as unknown as EventSink;
    expect(() => createEventSinkConsumer({ source, sink, batchSize: 0 })).toThrow(
      /batchSize: expected a positive integer, got 0/,
    );
  });
});
