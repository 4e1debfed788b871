// The source → sink consumer with the in-memory source and a scripted sink: deliveries are
// settled only after the sink flushed them, and handed back when the flush failed.
import type { EntityEvent, EventSink } from '@fraiseql/core';
import { createMemorySource } from '@fraiseql/observers';
import { waitFor } from '@fraiseql/testing';
import { describe, expect, it } from 'vitest';

import { makeEvent } from '../../test/fixtures/mock-elasticsearch.js';
import { createEventSinkConsumer } from './event-sink-consumer.js';

function scriptedSink(failFlushes: number) {
  const written: EntityEvent[] = [];
  const flushed: EntityEvent[] = [];
  let pending: EntityEvent[] = [];
  let failures = failFlushes;
  const sink: EventSink = {
    kind: 'scripted',
    write(events) {
      written.push(...events);
      pending.push(...events);
      return Promise.resolve();
    },
    flush() {
      if (failures > 0) {
        failures -= 1;
        pending = [];
        return Promise.reject(new Error('bulk failed'));
      }
      flushed.push(...pending);
      pending = [];
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
  return { sink, written, flushed };
}

describe('event sink consumer', () => {
  it('acknowledges events to the source only after the sink flushed them, in batches', async () => {
    const source = createMemorySource();
    const { sink, flushed } = scriptedSink(0);
    const consumer = createEventSinkConsumer({ source, sink, batchSize: 4, maxWait: 5 });
    try {
      await consumer.start();
      const events = Array.from({ length: 10 }, () => makeEvent());
      source.publish(events);
      await waitFor(() => consumer.stats().acknowledged === 10, { timeoutMs: 10_000 });
      expect(flushed.map((event) => event.id).sort()).toEqual(
        events.map((event) => event.id).sort(),
      );
      expect((await source.backlog()).events).toBe(0);
    } finally {
      await consumer.close();
    }
  });

  it('hands a batch back for redelivery when the flush fails, and stores it on the next try', async () => {
    const source = createMemorySource();
    const { sink, written, flushed } = scriptedSink(1);
    const consumer = createEventSinkConsumer({
      source,
      sink,
      batchSize: 3,
      maxWait: 5,
      retryDelay: 5,
    });
    try {
      await consumer.start();
      const events = [makeEvent(), makeEvent(), makeEvent()];
      source.publish(events);
      await waitFor(() => consumer.stats().acknowledged === 3, { timeoutMs: 10_000 });
      expect(consumer.stats().failedFlushes).toBe(1);
      expect(written).toHaveLength(6);
      expect(flushed.map((event) => event.id).sort()).toEqual(
        events.map((event) => event.id).sort(),
      );
      expect((await source.backlog()).events).toBe(0);
    } finally {
      await consumer.close();
    }
  });
});
