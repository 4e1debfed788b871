import { eventFromJson, serializeEvent, type Delivery } from '@fraiseql/core';
import { requireService, waitFor } from '@fraiseql/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createNatsSource,
  eventSubject,
  NatsDeadLetterHeaders,
  type NatsSource,
  type NatsSourceOptions,
} from '../src/index.js';
import {
  makeEvent,
  natsNames,
  natsProbe,
  recordingMetrics,
  type NatsNames,
  type NatsProbe,
} from './fixtures/nats-events.js';

const nats = await requireService('nats');

describe.skipIf(nats === undefined)('NATS source (JetStream durable pull consumer)', () => {
  const url = nats?.url ?? '';
  const cleanup: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function setup(options: Partial<NatsSourceOptions> = {}): Promise<{
    names: NatsNames;
    probe: NatsProbe;
    source: NatsSource;
    options: NatsSourceOptions;
  }> {
    const names = natsNames();
    const probe = await natsProbe(url, names);
    cleanup.push(() => probe.close());
    const full: NatsSourceOptions = {
      servers: url,
      stream: names.stream,
      subjectPrefix: names.subjectPrefix,
      durable: names.durable,
      nakDelay: 50,
      ...options,
    };
    const source = createNatsSource(full);
    cleanup.push(() => source.close());
    return { names, probe, source, options: full };
  }

  async function publishEvents(probe: NatsProbe, names: NatsNames, count: number) {
    const events = Array.from({ length: count }, () => makeEvent());
    for (const event of events) {
      await probe.publish(
        eventSubject(names.subjectPrefix, event),
        serializeEvent(event),
        event.id,
      );
    }
    return events;
  }

  async function consumerSettled(probe: NatsProbe, names: NatsNames, lastSeq: number) {
    return waitFor(
      async () => {
        const info = await probe.jsm.consumers.info(names.stream, names.durable);
        return info.ack_floor.stream_seq >= lastSeq && info.num_ack_pending === 0 ? info : false;
      },
      { timeoutMs: 20_000, message: `consumer acked up to ${lastSeq}` },
    );
  }

  it('acks a message once its handler settled done, and never redelivers it', async () => {
    const { names, probe, source } = await setup();
    const metrics = recordingMetrics();
    const seen: Delivery[] = [];
    await source.start({
      onDelivery: async (delivery) => {
        seen.push(delivery);
        await delivery.settle({ status: 'done' });
      },
    });
    const events = await publishEvents(probe, names, 20);
    const info = await consumerSettled(probe, names, events.length);
    expect(info.num_redelivered).toBe(0);
    expect(info.num_pending).toBe(0);
    expect(seen.map((d) => d.event.id)).toEqual(events.map((e) => e.id));
    expect(seen.every((d) => d.attempt === 1)).toBe(true);
    expect(seen[0]?.event).toEqual(events[0]);
    expect(metrics.calls.size).toBe(0); // metrics were not passed to this source
  });

  it('creates the durable consumer with explicit acks, the ack wait and max ack pending', async () => {
    const { names, probe, source } = await setup({ ackWait: '7s', maxAckPending: 77 });
    await source.start({ onDelivery: (d) => d.settle({ status: 'done' }) });
    const info = await probe.jsm.consumers.info(names.stream, names.durable);
    expect(info.config.ack_policy).toBe('explicit');
    expect(info.config.ack_wait).toBe(7_000_000_000);
    expect(info.config.max_ack_pending).toBe(77);
    expect(info.config.filter_subject).toBe(`${names.subjectPrefix}.>`);
    const dlq = await probe.jsm.streams.info(`${names.stream}_DLQ`);
    expect(dlq.config.subjects).toEqual([`${names.subjectPrefix}_dlq`]);
  });

  it('redelivers after a retryable handler failure, with the attempt counted', async () => {
    const metrics = recordingMetrics();
    const { names, probe, source } = await setup({ metrics, statsInterval: 100 });
    const attempts: number[] = [];
    await source.start({
      onDelivery: async (delivery) => {
        attempts.push(delivery.attempt);
        if (delivery.attempt === 1) {
          await delivery.settle({ status: 'retry', delayMs: 100, error: new Error('smtp down') });
        } else {
          await delivery.settle({ status: 'done' });
        }
      },
    });
    const [event] = await publishEvents(probe, names, 1);
    await consumerSettled(probe, names, 1);
    expect(attempts).toEqual([1, 2]);
    expect(metrics.calls.get('natsRedelivered')).toEqual([[names.durable]]);
    // The consumer backlog, reported every statsInterval, drops to nothing once it is settled.
    await waitFor(() => metrics.calls.get('natsPending')?.at(-1)?.[1] === 0, {
      message: 'an empty backlog reported',
    });
    expect(metrics.calls.get('natsPending')?.at(-1)).toEqual([names.durable, 0]);
    expect(event).toBeDefined();
  });

  it('treats a throwing handler as a retryable failure', async () => {
    const { names, probe, source } = await setup();
    const attempts: number[] = [];
    await source.start({
      onDelivery: async (delivery) => {
        attempts.push(delivery.attempt);
        if (delivery.attempt === 1) throw new Error('handler bug');
        await delivery.settle({ status: 'done' });
      },
    });
    await publishEvents(probe, names, 1);
    await consumerSettled(probe, names, 1);
    expect(attempts).toEqual([1, 2]);
  });

  it('dead-letters a message that fails its last allowed delivery, with the reason in headers', async () => {
    const { names, probe, source } = await setup({ maxDeliver: 3 });
    const attempts: number[] = [];
    await source.start({
      onDelivery: async (delivery) => {
        attempts.push(delivery.attempt);
        await delivery.settle({
          status: 'retry',
          delayMs: 20,
          error: new Error(`webhook answered 503 on attempt ${delivery.attempt}`),
        });
      },
    });
    const [event] = await publishEvents(probe, names, 1);
    await consumerSettled(probe, names, 1);
    expect(attempts).toEqual([1, 2, 3]);
    const [letter, ...more] = await probe.messages(`${names.stream}_DLQ`);
    expect(more).toEqual([]);
    expect(letter?.subject).toBe(`${names.subjectPrefix}_dlq`);
    expect(letter?.headers?.get(NatsDeadLetterHeaders.kind)).toBe('max-deliver');
    expect(letter?.headers?.get(NatsDeadLetterHeaders.reason)).toContain(
      'webhook answered 503 on attempt 3',
    );
    expect(letter?.headers?.get(NatsDeadLetterHeaders.deliveries)).toBe('3');
    expect(letter?.headers?.get(NatsDeadLetterHeaders.eventId)).toBe(event?.id);
    expect(letter?.headers?.get(NatsDeadLetterHeaders.subject)).toBe(
      `${names.subjectPrefix}.Order.INSERT`,
    );
    expect(eventFromJson(letter?.data)).toEqual(event);
  });

  it('dead-letters a message whose last delivery was never settled (worker gone, ack wait over)', async () => {
    const { names, probe, source } = await setup({ maxDeliver: 2, ackWait: '1s' });
    const attempts: number[] = [];
    await source.start({
      // Never settles: like a worker that died mid-handler, every delivery times out.
      onDelivery: (delivery) => {
        attempts.push(delivery.attempt);
      },
    });
    const [event] = await publishEvents(probe, names, 1);
    const letter = await waitFor(async () => (await probe.messages(`${names.stream}_DLQ`))[0], {
      timeoutMs: 20_000,
      message: 'dead letter after the ack wait',
    });
    expect(attempts).toEqual([1, 2]);
    expect(letter.headers?.get(NatsDeadLetterHeaders.kind)).toBe('max-deliver');
    expect(letter.headers?.get(NatsDeadLetterHeaders.reason)).toContain('not settled after 2');
    expect(letter.headers?.get(NatsDeadLetterHeaders.eventId)).toBe(event?.id);
    await consumerSettled(probe, names, 1);
  });

  it('dead-letters a delivery settled dead at once, without further attempts', async () => {
    const { names, probe, source } = await setup({ maxDeliver: 5 });
    const attempts: number[] = [];
    await source.start({
      onDelivery: async (delivery) => {
        attempts.push(delivery.attempt);
        await delivery.settle({ status: 'dead', error: new Error('400 Bad Request') });
      },
    });
    await publishEvents(probe, names, 1);
    await consumerSettled(probe, names, 1);
    expect(attempts).toEqual([1]);
    const [letter] = await probe.messages(`${names.stream}_DLQ`);
    expect(letter?.headers?.get(NatsDeadLetterHeaders.kind)).toBe('rejected');
    expect(letter?.headers?.get(NatsDeadLetterHeaders.reason)).toBe('Error: 400 Bad Request');
  });

  it('dead-letters an unparseable message with the parse error, keeping its bytes', async () => {
    const metrics = recordingMetrics();
    const { names, probe, source } = await setup({ metrics });
    const handled: string[] = [];
    await source.start({
      onDelivery: async (delivery) => {
        handled.push(delivery.event.id);
        await delivery.settle({ status: 'done' });
      },
    });
    await probe.publish(`${names.subjectPrefix}.Order.INSERT`, '{"id": "x", not json');
    await probe.publish(`${names.subjectPrefix}.Order.INSERT`, JSON.stringify({ id: 'no-seq' }));
    const [good] = await publishEvents(probe, names, 1);
    await consumerSettled(probe, names, 3);
    expect(handled).toEqual([good?.id]);
    const letters = await probe.messages(`${names.stream}_DLQ`);
    expect(letters.map((l) => l.headers?.get(NatsDeadLetterHeaders.kind))).toEqual([
      'malformed',
      'malformed',
    ]);
    expect(letters[0]?.text).toBe('{"id": "x", not json');
    expect(letters[0]?.headers?.get(NatsDeadLetterHeaders.reason)).toContain('not valid JSON');
    expect(letters[1]?.headers?.get(NatsDeadLetterHeaders.reason)).toContain('event.seq');
    expect(letters[1]?.headers?.get(NatsDeadLetterHeaders.sequence)).toBe('2');
    expect(metrics.calls.get('malformedEvent')).toEqual([['nats'], ['nats']]);
  });

  it('keeps a message with a long handler that sends progress past the ack wait', async () => {
    const { names, probe, source } = await setup({ ackWait: '1s' });
    const attempts: number[] = [];
    await source.start({
      onDelivery: async (delivery) => {
        attempts.push(delivery.attempt);
        // Three ack waits of work, with progress every 300ms.
        for (let i = 0; i < 10; i++) {
          await new Promise((resolve) => setTimeout(resolve, 300));
          await delivery.heartbeat();
        }
        await delivery.settle({ status: 'done' });
      },
    });
    await publishEvents(probe, names, 1);
    const info = await consumerSettled(probe, names, 1);
    expect(attempts).toEqual([1]);
    expect(info.num_redelivered).toBe(0);
  });

  it('shares the work between competing workers, each message handled once', async () => {
    const names = natsNames();
    const probe = await natsProbe(url, names);
    cleanup.push(() => probe.close());
    const workers = [0, 1, 2].map(() =>
      createNatsSource({
        servers: url,
        stream: names.stream,
        subjectPrefix: names.subjectPrefix,
        durable: names.durable,
        batchSize: 5,
      }),
    );
    for (const worker of workers) cleanup.push(() => worker.close());
    const handledBy = new Map<string, number[]>();
    // Each worker holds its first messages until every worker has received some: a worker
    // that is full cannot take more, so the others must be given the rest.
    let started = 0;
    const receivedAny = new Set<number>();
    let allBusy!: () => void;
    const everyoneBusy = new Promise<void>((resolve) => (allBusy = resolve));
    await Promise.all(
      workers.map((worker, index) =>
        worker.start({
          maxInFlight: 5,
          onDelivery: async (delivery) => {
            started += 1;
            handledBy.set(delivery.event.id, [...(handledBy.get(delivery.event.id) ?? []), index]);
            receivedAny.add(index);
            if (receivedAny.size === workers.length) allBusy();
            await everyoneBusy;
            await delivery.settle({ status: 'done' });
          },
        }),
      ),
    );
    const events = await publishEvents(probe, names, 300);
    const info = await consumerSettled(probe, names, events.length);
    expect(info.num_redelivered).toBe(0);
    expect(started).toBe(events.length);
    expect([...handledBy.keys()].sort()).toEqual(events.map((e) => e.id).sort());
    expect([...handledBy.values()].every((by) => by.length === 1)).toBe(true);
    const perWorker = [0, 1, 2].map(
      (index) => [...handledBy.values()].filter(([by]) => by === index).length,
    );
    expect(perWorker.every((count) => count > 0)).toBe(true);
  });

  it('hands held messages back and stops pulling on close', async () => {
    const { names, probe, source } = await setup({ ackWait: '30s' });
    const received: Delivery[] = [];
    await source.start({
      maxInFlight: 1,
      onDelivery: (delivery) => {
        received.push(delivery);
      },
    });
    await publishEvents(probe, names, 3);
    await waitFor(() => received.length === 1, { message: 'first delivery' });
    const closing = source.close();
    await received[0]!.settle({ status: 'done' });
    await closing;
    const info = await probe.jsm.consumers.info(names.stream, names.durable);
    expect(info.ack_floor.stream_seq).toBe(1);
    expect(info.num_ack_pending).toBe(0);
    expect(received).toHaveLength(1);
    await expect(source.start({ onDelivery: () => undefined })).rejects.toMatchObject({
      code: 'CLOSED',
    });
  });

  it('hands unsettled messages back on close, for immediate redelivery to another worker', async () => {
    const { names, probe, source, options } = await setup({ ackWait: '60s' });
    const first: Delivery[] = [];
    await source.start({
      maxInFlight: 2,
      onDelivery: (delivery) => {
        first.push(delivery); // never settled: shutdown comes before the work
      },
    });
    const events = await publishEvents(probe, names, 2);
    await waitFor(() => first.length === 2, { message: 'two deliveries held' });
    await source.close();
    await expect(first[0]!.settle({ status: 'done' })).rejects.toMatchObject({ code: 'CLOSED' });

    const next = createNatsSource(options);
    cleanup.push(() => next.close());
    const second: Delivery[] = [];
    await next.start({
      onDelivery: async (delivery) => {
        second.push(delivery);
        await delivery.settle({ status: 'done' });
      },
    });
    // Well inside the 60s ack wait: the messages came back because they were handed back.
    await consumerSettled(probe, names, 2);
    expect(second.map((d) => [d.event.id, d.attempt])).toEqual(events.map((e) => [e.id, 2]));
  });

  it('stops fetching when the start signal aborts, and still accepts settlements', async () => {
    const { names, probe, source } = await setup();
    const stop = new AbortController();
    const held: Delivery[] = [];
    await source.start({
      signal: stop.signal,
      onDelivery: (delivery) => {
        held.push(delivery);
      },
    });
    await publishEvents(probe, names, 1);
    await waitFor(() => held.length === 1, { message: 'first delivery' });
    stop.abort();
    await held[0]!.settle({ status: 'done' });
    await publishEvents(probe, names, 1);
    await consumerSettled(probe, names, 1);
    const info = await probe.jsm.consumers.info(names.stream, names.durable);
    expect(info.num_pending).toBe(1); // the second message was not fetched
    expect(held).toHaveLength(1);
  });

  it('reports the consumer backlog and the age of its oldest message', async () => {
    const { names, probe, source } = await setup();
    const held: Delivery[] = [];
    await source.start({
      maxInFlight: 1,
      onDelivery: (delivery) => {
        held.push(delivery);
      },
    });
    expect(await source.backlog()).toEqual({ events: 0, oldestAgeSeconds: 0 });
    await publishEvents(probe, names, 3);
    await waitFor(() => held.length === 1, { message: 'first delivery' });
    const backlog = await source.backlog();
    expect(backlog.events).toBe(3);
    expect(backlog.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(backlog.oldestAgeSeconds).toBeLessThan(60);
    await held[0]!.settle({ status: 'done' });
    await waitFor(async () => (await source.backlog()).events === 2, {
      message: 'backlog after one ack',
    });
  });

  it('recreates its durable consumer when it was deleted, and goes on', async () => {
    const { names, probe, source } = await setup({ fetchExpires: '1s' });
    const handled: string[] = [];
    await source.start({
      onDelivery: async (delivery) => {
        handled.push(delivery.event.id);
        await delivery.settle({ status: 'done' });
      },
    });
    await probe.jsm.consumers.delete(names.stream, names.durable);
    const events = await publishEvents(probe, names, 5);
    await waitFor(() => handled.length === 5, {
      timeoutMs: 30_000,
      message: 'events handled after the consumer was recreated',
    });
    expect(handled).toEqual(events.map((e) => e.id));
  });

  it('rejects an unreachable server with TRANSPORT_UNAVAILABLE, and can be started again', async () => {
    const names = natsNames();
    const source = createNatsSource({ servers: 'nats://127.0.0.1:1', stream: names.stream });
    cleanup.push(() => source.close());
    const start = () => source.start({ onDelivery: () => undefined });
    await expect(start()).rejects.toMatchObject({ code: 'TRANSPORT_UNAVAILABLE', retryable: true });
    await expect(start()).rejects.toMatchObject({ code: 'TRANSPORT_UNAVAILABLE' });
    await expect(source.backlog()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
