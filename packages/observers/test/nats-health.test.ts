import { serializeEvent, type Delivery } from '@fraiseql/core';
import { requireService, waitFor } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsBridge, createNatsSource, eventSubject } from '../src/index.js';
import { makeEvent, natsNames, natsProbe, recordingMetrics } from './fixtures/nats-events.js';
import { MemorySource } from './fixtures/nats-memory-source.js';
import { startNatsServer, type NatsServerProcess } from './fixtures/nats-server-process.js';

const nats = await requireService('nats');

describe.skipIf(nats === undefined)('NATS source backlog in metrics', () => {
  it('reports the consumer pending count and the oldest pending age while every message sits fetched but unacked', async () => {
    const url = nats?.url ?? '';
    const names = natsNames();
    const probe = await natsProbe(url, names);
    const metrics = recordingMetrics();
    const source = createNatsSource({
      servers: url,
      stream: names.stream,
      subjectPrefix: names.subjectPrefix,
      durable: names.durable,
      statsInterval: 100,
      metrics,
    });
    const held: Delivery[] = [];
    try {
      // The handler holds every message: the worker fetched them all (nothing is left
      // undelivered on the server), yet none is handled.
      await source.start({
        onDelivery: (delivery) => {
          held.push(delivery);
          return new Promise<void>(() => undefined);
        },
      });
      const events = Array.from({ length: 20 }, () => makeEvent());
      for (const event of events) {
        await probe.publish(
          eventSubject(names.subjectPrefix, event),
          serializeEvent(event),
          event.id,
        );
      }
      await waitFor(() => held.length === 20, { timeoutMs: 10_000, message: '20 held' });
      const last = (name: string): unknown[] | undefined => metrics.calls.get(name)?.at(-1);
      const lag = await waitFor(
        () => {
          const call = last('captureLag');
          return call?.[2] === 20 && (call[1] as number) > 0 ? call : false;
        },
        { timeoutMs: 10_000, message: 'capture lag of the 20 unacked messages' },
      );
      expect(lag[0]).toBe('nats');
      expect(last('natsPending')).toEqual([names.durable, 20]);
      expect(last('backlog')).toEqual(['nats', 20]);
    } finally {
      await source.close();
      await probe.close();
    }
  });
});

// A private nats-server the test stops and starts; the shared one is never touched.
describe('NATS connections down at start, lost mid-run, back again', () => {
  let server: NatsServerProcess;

  beforeAll(async () => {
    server = await startNatsServer();
  });

  afterAll(async () => {
    await server.close();
  });

  it('source and bridge report down, reconnecting, up and closed through services()', async () => {
    const names = natsNames();
    const common = {
      servers: server.url,
      stream: names.stream,
      subjectPrefix: names.subjectPrefix,
    };
    const states = (reporter: { services(): readonly { name: string; state: string }[] }) =>
      Object.fromEntries(reporter.services().map((s) => [s.name, s.state]));

    await server.stop('SIGKILL');
    const metrics = recordingMetrics();
    const early = createNatsSource({ ...common, durable: names.durable, metrics });
    await expect(early.start({ onDelivery: () => Promise.resolve() })).rejects.toMatchObject({
      code: 'TRANSPORT_UNAVAILABLE',
    });
    expect(early.services()[0]).toMatchObject({ name: 'nats', state: 'down' });
    expect(early.services()[0]?.lastError?.message).toBeDefined();
    await server.start();

    // start() may be called again once the server is back.
    const handled = new Set<string>();
    await early.start({
      onDelivery: async (delivery) => {
        handled.add(delivery.event.id);
        await delivery.settle({ status: 'done' });
      },
    });
    const memory = new MemorySource([]);
    const bridge = createNatsBridge({
      ...common,
      source: memory,
      publishRetryDelay: 100,
      ackTimeout: '1s',
    });
    try {
      await bridge.start();
      expect(states(early)).toEqual({ nats: 'up' });
      expect(states(bridge)).toMatchObject({ 'nats:bridge': 'up' });

      await server.stop('SIGKILL');
      await waitFor(
        () =>
          states(early).nats === 'reconnecting' && states(bridge)['nats:bridge'] === 'reconnecting',
        {
          timeoutMs: 10_000,
          message: 'both report reconnecting',
        },
      );
      await server.start();
      await waitFor(() => states(early).nats === 'up' && states(bridge)['nats:bridge'] === 'up', {
        timeoutMs: 20_000,
        message: 'both report up again',
      });
      const event = makeEvent();
      memory.push(event);
      await waitFor(() => handled.has(event.id), {
        timeoutMs: 30_000,
        message: 'event after the loss',
      });
      expect(early.services()[0]?.outages).toBe(1);
      const reported = (metrics.calls.get('serviceState') ?? []).map(
        ([health]) => (health as { state: string }).state,
      );
      expect(reported).toEqual(expect.arrayContaining(['up', 'reconnecting']));
    } finally {
      await bridge.close();
      await early.close();
    }
    expect(states(early)).toEqual({ nats: 'closed' });
    expect(states(bridge)['nats:bridge']).toBe('closed');
  });
});
