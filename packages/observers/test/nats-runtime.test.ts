import { serializeEvent } from '@fraiseql/core';
import { requireService, waitFor } from '@fraiseql/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createNatsSource,
  createObserverRuntime,
  eventSubject,
  NatsDeadLetterHeaders,
} from '../src/index.js';
import { makeEvent, natsNames, natsProbe } from './fixtures/nats-events.js';

const nats = await requireService('nats');

describe.skipIf(nats === undefined)('observer runtime over the NATS source', () => {
  const cleanup: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('runs handlers, retries failures through naks and dead-letters what the retry policy gives up on', async () => {
    const names = natsNames();
    const probe = await natsProbe(nats!.url, names);
    cleanup.push(() => probe.close());
    const events = Array.from({ length: 30 }, () => makeEvent());
    const flaky = events[3]!;
    const broken = events[7]!;
    const attempts = new Map<string, number[]>();
    const runtime = createObserverRuntime({
      sources: createNatsSource({
        servers: nats!.url,
        stream: names.stream,
        subjectPrefix: names.subjectPrefix,
        durable: names.durable,
        maxDeliver: 5,
      }),
      concurrency: 4,
      retry: { strategy: 'fixed', maxAttempts: 3, initialDelay: 20, maxDelay: 20 },
      handler: (event, { attempt }) => {
        attempts.set(event.id, [...(attempts.get(event.id) ?? []), attempt]);
        if (event.id === flaky.id && attempt < 3) {
          return Promise.reject(new Error('timeout talking to the CRM'));
        }
        if (event.id === broken.id) return Promise.reject(new Error('CRM rejected the record'));
        return Promise.resolve();
      },
    });
    cleanup.push(() => runtime.close());
    await runtime.start();
    for (const event of events) {
      await probe.publish(
        eventSubject(names.subjectPrefix, event),
        serializeEvent(event),
        event.id,
      );
    }
    await waitFor(
      async () => {
        const info = await probe.jsm.consumers.info(names.stream, names.durable);
        return info.ack_floor.stream_seq === events.length && info.num_ack_pending === 0;
      },
      { timeoutMs: 30_000, message: 'every message acknowledged' },
    );
    expect(attempts.get(flaky.id)).toEqual([1, 2, 3]);
    expect(attempts.get(broken.id)).toEqual([1, 2, 3]);
    for (const event of events) {
      if (event !== flaky && event !== broken) expect(attempts.get(event.id)).toEqual([1]);
    }
    const letters = await probe.messages(`${names.stream}_DLQ`);
    expect(letters).toHaveLength(1);
    expect(letters[0]?.headers?.get(NatsDeadLetterHeaders.eventId)).toBe(broken.id);
    expect(letters[0]?.headers?.get(NatsDeadLetterHeaders.kind)).toBe('rejected');
    expect(letters[0]?.headers?.get(NatsDeadLetterHeaders.reason)).toContain(
      'CRM rejected the record',
    );
    const health = await runtime.health();
    expect(health.sources).toEqual([
      expect.objectContaining({ kind: 'nats', lagEvents: 0, lagSeconds: 0 }),
    ]);
  });
});
