import { waitFor } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsBridge, createNatsSource, type NatsSource } from '../src/index.js';
import { makeEvent, natsNames } from './fixtures/nats-events.js';
import { MemorySource } from './fixtures/nats-memory-source.js';
import { startNatsServer, type NatsServerProcess } from './fixtures/nats-server-process.js';

// A private nats-server with its own store dir, restarted by the test: the shared server on
// this machine is never touched.
describe('NATS transport across a server restart', () => {
  let server: NatsServerProcess;

  beforeAll(async () => {
    server = await startNatsServer();
  });

  afterAll(async () => {
    await server.close();
  });

  it.each(['SIGTERM', 'SIGKILL'] as const)(
    'loses no event when the server stops (%s) mid-stream and restarts, and neither side crashes',
    async (signal) => {
      const names = natsNames();
      const common = {
        servers: server.url,
        stream: names.stream,
        subjectPrefix: names.subjectPrefix,
        ackTimeout: '1s',
      };
      const source = new MemorySource([]);
      const bridge = createNatsBridge({ ...common, source, publishRetryDelay: 100 });
      const workers: NatsSource[] = [0, 1].map(() =>
        createNatsSource({ ...common, durable: names.durable, ackWait: '2s', fetchExpires: '1s' }),
      );
      const handled = new Map<string, number>();
      try {
        await bridge.start();
        for (const worker of workers) {
          await worker.start({
            maxInFlight: 8,
            onDelivery: async (delivery) => {
              await new Promise((resolve) => setImmediate(resolve));
              handled.set(delivery.event.id, (handled.get(delivery.event.id) ?? 0) + 1);
              await delivery.settle({ status: 'done' });
            },
          });
        }
        const events = Array.from({ length: 1_500 }, () => makeEvent());
        source.push(...events.slice(0, 500));
        await waitFor(() => handled.size >= 500, {
          timeoutMs: 30_000,
          message: 'first 500 handled',
        });

        await server.stop(signal);
        source.push(...events.slice(500, 1_000));
        await waitFor(() => bridge.stats().failed > 0, {
          timeoutMs: 30_000,
          message: 'publishes failing while the server is down',
        });
        await server.start();
        source.push(...events.slice(1_000));

        await source.drained();
        await waitFor(() => handled.size === events.length, {
          timeoutMs: 60_000,
          message: 'every event handled after the restart',
        });
        expect(new Set(handled.keys())).toEqual(new Set(events.map((e) => e.id)));
        expect(source.done).toHaveLength(events.length);
        expect(source.outcomes.some((o) => o.outcome.status === 'retry')).toBe(true);
      } finally {
        await bridge.close();
        for (const worker of workers) await worker.close();
      }
    },
  );

  it('recreates the stream and the consumer after a server with memory storage lost them', async () => {
    const names = natsNames();
    const common = {
      servers: server.url,
      stream: names.stream,
      subjectPrefix: names.subjectPrefix,
      storage: 'memory' as const,
      ackTimeout: '1s',
    };
    const source = new MemorySource([]);
    const bridge = createNatsBridge({ ...common, source, publishRetryDelay: 200 });
    const worker = createNatsSource({ ...common, durable: names.durable, fetchExpires: '1s' });
    const handled = new Set<string>();
    try {
      await bridge.start();
      await worker.start({
        onDelivery: async (delivery) => {
          handled.add(delivery.event.id);
          await delivery.settle({ status: 'done' });
        },
      });
      const before = Array.from({ length: 100 }, () => makeEvent());
      source.push(...before);
      await waitFor(() => handled.size === 100, { timeoutMs: 30_000, message: '100 handled' });

      await server.stop('SIGTERM');
      await server.start(); // empty: memory storage keeps nothing across a restart
      const after = Array.from({ length: 200 }, () => makeEvent());
      source.push(...after);
      await source.drained();
      await waitFor(() => after.every((event) => handled.has(event.id)), {
        timeoutMs: 60_000,
        message: 'events published after the restart handled',
      });
      expect(bridge.stats().failed).toBeGreaterThan(0);
    } finally {
      await bridge.close();
      await worker.close();
    }
  });
});
