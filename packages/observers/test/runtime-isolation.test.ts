import { serializeEvent, type EventSource, type EventSourceBacklog } from '@fraiseql/core';
import { requireService, waitFor } from '@fraiseql/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createObserverExecutor } from '../src/execution/observer-executor.js';
import { createObserverRuntime } from '../src/runtime/observer-runtime.js';
import { createChangeLogSource } from '../src/sources/change-log/change-log-source.js';
import { createMemorySource, type MemorySource } from '../src/sources/memory/memory-source.js';
import { eventSubject } from '../src/sources/nats/event-subject.js';
import { createNatsSource } from '../src/sources/nats/nats-source.js';
import {
  httpPostAction,
  makeEvent,
  matcherOf,
  registryOf,
  startReceiver,
  type Receiver,
} from './execution-helpers.js';
import { createChangeLogDatabase, writeEvents } from './fixtures/change-log-fixture.js';
import { makeEvent as makeNatsEvent, natsNames, natsProbe } from './fixtures/nats-events.js';

const pg = await requireService('postgres');
const nats = await requireService('nats');

const N = 200;

describe('one failing endpoint beside a healthy one (memory source, local HTTP receivers)', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function setup(
    maxWaitingPerObserver: number,
    source: EventSource & { backlog(): Promise<EventSourceBacklog> } = createMemorySource(),
    publish: (source: EventSource) => Promise<void> = (memory) => {
      (memory as MemorySource).publish(Array.from({ length: N }, () => makeEvent()));
      return Promise.resolve();
    },
  ) {
    const healthy = await startReceiver();
    const failing = await startReceiver();
    cleanup.push(
      () => healthy.close(),
      () => failing.close(),
    );
    failing.respond = () => ({ status: 500 });
    const failingHost = new URL(failing.url).host;
    const execute = createObserverExecutor({
      matcher: matcherOf([
        { name: 'healthy', actions: [{ type: 'http-post', url: `${healthy.url}/ok` }] },
        {
          name: 'failing',
          actions: [{ type: 'http-post', url: `${failing.url}/fail` }],
          retry: { strategy: 'fixed', maxAttempts: 1_000, initialDelay: 5, maxDelay: 5 },
        },
      ]),
      registry: registryOf(httpPostAction),
      // The breaker opens after a few 500s and stays open for the whole test; its events wait
      // in process (up to the waiting-room bound) instead of being handed back.
      breaker: { minimumCalls: 5, coolDown: '10m' },
      maxBreakerWait: '1h',
      maxWaitingPerObserver,
    });
    const runtime = createObserverRuntime({
      sources: source,
      handler: execute,
      observers: execute,
      concurrency: 4,
      prefetch: 8,
    });
    cleanup.push(async () => {
      // Closing the executor first ends the breaker waits (their events are handed back).
      await execute.close();
      await runtime.close();
    });
    await runtime.start();
    await publish(source);
    return { healthy, failingHost, execute, source, runtime };
  }

  const received = (receiver: Receiver): number =>
    new Set(receiver.requests.map((request) => (JSON.parse(request.body) as { id: string }).id))
      .size;

  it('the healthy observer receives every event while the failing one waits on its open breaker', async () => {
    const { healthy, failingHost, execute, source, runtime } = await setup(N);
    await waitFor(() => received(healthy) === N, {
      timeoutMs: 30_000,
      message: `the healthy observer received all ${N} events`,
    });
    await waitFor(() => execute.stats().waiting.failing === N, {
      timeoutMs: 30_000,
      message: 'every event of the failing observer waits',
    });
    expect(execute.stats().breakers[failingHost]).toBe('open');
    // Nothing was acknowledged for the failing observer: every event is still unsettled.
    expect((await source.backlog()).events).toBe(N);
    const health = await runtime.health();
    expect(health.healthy).toBe(false);
    expect(health.detached).toBe(N);
    expect(health.inFlight).toBe(0);
    expect(health.observers).toEqual([
      { name: 'failing', state: 'degraded', waiting: N, openEndpoints: [failingHost] },
    ]);
  });

  it('beyond the waiting-room bound the failing observer hands its events back, and the healthy one still receives all', async () => {
    const { healthy, execute, source, runtime } = await setup(10);
    await waitFor(() => received(healthy) === N, {
      timeoutMs: 30_000,
      message: `the healthy observer received all ${N} events`,
    });
    await waitFor(() => execute.stats().waiting.failing === 10, {
      timeoutMs: 30_000,
      message: 'the waiting room of the failing observer is full',
    });
    // Handed back, not lost: the other events wait in the source for redelivery.
    expect((await source.backlog()).events).toBe(N);
    expect((source as MemorySource).parked()).toEqual([]);
    const health = await runtime.health();
    expect(health.observers).toEqual([
      expect.objectContaining({ name: 'failing', state: 'degraded', waiting: 10 }),
    ]);
  });

  it.skipIf(pg === undefined)(
    'change log: the healthy observer receives every event; the waiting ones stay leased, not checkpointed',
    async () => {
      const database = await createChangeLogDatabase(pg!);
      cleanup.push(() => database.close());
      const source = createChangeLogSource(database.db, {
        consumer: 'isolation',
        pollInterval: 100,
      });
      const { healthy, failingHost, execute, runtime } = await setup(N, source, async () => {
        await writeEvents(database.db, N);
      });
      await waitFor(() => received(healthy) === N, {
        timeoutMs: 30_000,
        message: `the healthy observer received all ${N} events`,
      });
      await waitFor(() => execute.stats().waiting.failing === N, {
        timeoutMs: 30_000,
        message: 'every event of the failing observer waits',
      });
      expect((await source.backlog()).events).toBe(N);
      expect(source.status().inFlight).toBe(N);
      expect((await runtime.health()).observers).toEqual([
        { name: 'failing', state: 'degraded', waiting: N, openEndpoints: [failingHost] },
      ]);
    },
  );

  it.skipIf(nats === undefined)(
    'NATS JetStream: the healthy observer receives every event; the waiting messages stay unacknowledged',
    async () => {
      const names = natsNames();
      const probe = await natsProbe(nats!.url, names);
      cleanup.push(() => probe.close());
      const source = createNatsSource({
        servers: nats!.url,
        stream: names.stream,
        subjectPrefix: names.subjectPrefix,
        durable: names.durable,
      });
      const { healthy, execute } = await setup(N, source, async () => {
        for (let i = 0; i < N; i += 1) {
          const event = makeNatsEvent();
          await probe.publish(
            eventSubject(names.subjectPrefix, event),
            serializeEvent(event),
            event.id,
          );
        }
      });
      await waitFor(() => received(healthy) === N, {
        timeoutMs: 30_000,
        message: `the healthy observer received all ${N} events`,
      });
      await waitFor(() => execute.stats().waiting.failing === N, {
        timeoutMs: 30_000,
        message: 'every event of the failing observer waits',
      });
      const info = await probe.jsm.consumers.info(names.stream, names.durable);
      expect(info.num_ack_pending).toBe(N);
      expect(info.ack_floor.stream_seq).toBe(0);
    },
  );
});
