import { fileURLToPath } from 'node:url';
import { eventFromJson } from '@fraiseql/core';
import { requireService, spawnNode, waitFor, type SpawnedNode } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChangeLogSource, createNatsBridge } from '../src/index.js';
import {
  createChangeLogDatabase,
  writeEvents,
  type ChangeLogDatabase,
} from './fixtures/change-log-fixture.js';
import { natsNames, natsProbe, type NatsNames, type NatsProbe } from './fixtures/nats-events.js';
import { startNatsServer, type NatsServerProcess } from './fixtures/nats-server-process.js';

const postgres = await requireService('postgres');
const nats = await requireService('nats');
const WORKER = fileURLToPath(new URL('./fixtures/nats-bridge-worker.mjs', import.meta.url));

describe.skipIf(postgres === undefined || nats === undefined)(
  'NATS bridge from the PostgreSQL change log',
  () => {
    let database: ChangeLogDatabase;
    const cleanup: (() => Promise<void>)[] = [];

    beforeAll(async () => {
      database = await createChangeLogDatabase(postgres!);
    });

    afterAll(async () => {
      for (const step of cleanup.reverse()) await step();
      await database.close();
    });

    async function probeFor(url: string, names: NatsNames): Promise<NatsProbe> {
      const probe = await natsProbe(url, names);
      cleanup.push(() => probe.close());
      return probe;
    }

    async function streamCount(probe: NatsProbe, stream: string): Promise<number> {
      return (await probe.jsm.streams.info(stream)).state.messages;
    }

    it('turns change-log rows into stream messages with the right subjects and Nats-Msg-Id', async () => {
      const names = natsNames();
      const probe = await probeFor(nats!.url, names);
      const consumer = `bridge_${names.stream.toLowerCase()}`;
      const orders = await writeEvents(database.db, 150, 'order');
      const customers = await writeEvents(database.db, 50, 'customer');
      const source = createChangeLogSource(database.db, { consumer, pollInterval: '200ms' });
      const bridge = createNatsBridge({
        source,
        servers: nats!.url,
        stream: names.stream,
        subjectPrefix: names.subjectPrefix,
      });
      cleanup.push(() => bridge.close());
      await bridge.start();
      await waitFor(async () => (await streamCount(probe, names.stream)) === 200, {
        timeoutMs: 30_000,
        message: '200 messages in the stream',
      });
      await waitFor(async () => (await source.backlog()).events === 0, {
        timeoutMs: 10_000,
        message: 'change-log progress saved for every acknowledged event',
      });
      const stored = await probe.messages(names.stream);
      const rows = new Map([...orders, ...customers].map((row) => [row.id, row.seq]));
      for (const message of stored) {
        const event = eventFromJson(message.data);
        expect(message.headers?.get('Nats-Msg-Id')).toBe(event.id);
        expect(message.subject).toBe(`${names.subjectPrefix}.${event.entityType}.INSERT`);
        expect(rows.get(event.id)).toBe(event.seq);
      }
      expect(new Set(stored.map((m) => m.headers?.get('Nats-Msg-Id')))).toEqual(
        new Set(rows.keys()),
      );
      expect(bridge.stats()).toMatchObject({ published: 200, duplicates: 0, pending: 0 });
    });

    it('saves change-log progress only for events the server acknowledged', async () => {
      const server: NatsServerProcess = await startNatsServer();
      cleanup.push(() => server.close());
      const names = natsNames();
      const consumer = `bridge_${names.stream.toLowerCase()}`;
      const source = createChangeLogSource(database.db, {
        consumer,
        pollInterval: '200ms',
        startFrom: 'now',
      });
      const bridge = createNatsBridge({
        source,
        servers: server.url,
        stream: names.stream,
        subjectPrefix: names.subjectPrefix,
        ackTimeout: '500ms',
        publishRetryDelay: 200,
      });
      cleanup.push(() => bridge.close());
      await bridge.start();
      await server.stop('SIGTERM');
      const rows = await writeEvents(database.db, 100, 'invoice');
      await waitFor(() => bridge.stats().failed >= 100, {
        timeoutMs: 30_000,
        message: 'publishes failing while NATS is down',
      });
      // Nothing was acknowledged, so nothing is marked delivered in the change log.
      expect((await source.backlog()).events).toBe(100);
      expect(bridge.stats().published).toBe(0);

      await server.start();
      await waitFor(async () => (await source.backlog()).events === 0, {
        timeoutMs: 30_000,
        message: 'backlog drained once NATS is back',
      });
      const probe = await probeFor(server.url, names);
      const stored = await probe.messages(names.stream);
      expect(new Set(stored.map((m) => m.headers?.get('Nats-Msg-Id')))).toEqual(
        new Set(rows.map((row) => row.id)),
      );
      expect(stored).toHaveLength(100);
    });

    it('loses nothing and stores each event once when the bridge process is killed (-9) and restarted', async () => {
      const names = natsNames();
      const probe = await probeFor(nats!.url, names);
      const consumer = `bridge_${names.stream.toLowerCase()}`;
      // Register the consumer before writing, so that it starts at these rows.
      const register = createChangeLogSource(database.db, { consumer, startFrom: 'now' });
      await register.start({ onDelivery: () => undefined, maxInFlight: 1 });
      await register.close();
      const rows = await writeEvents(database.db, 3_000, 'shipment');
      const env = {
        DATABASE_URL: database.url!,
        NATS_URL: nats!.url,
        CONSUMER: consumer,
        STREAM: names.stream,
        SUBJECT_PREFIX: names.subjectPrefix,
      };
      const children: SpawnedNode[] = [];
      cleanup.push(() => Promise.all(children.map((child) => child.close())).then(() => undefined));

      const first = spawnNode(WORKER, { env });
      children.push(first);
      await first.waitForLine(/^ready$/);
      await waitFor(async () => (await streamCount(probe, names.stream)) >= 500, {
        timeoutMs: 30_000,
        message: '500 messages before the crash',
      });
      await first.kill('SIGKILL');
      const beforeCrash = await streamCount(probe, names.stream);
      expect(beforeCrash).toBeLessThan(rows.length);

      const second = spawnNode(WORKER, { env });
      children.push(second);
      await second.waitForLine(/^ready$/);
      await waitFor(async () => (await streamCount(probe, names.stream)) >= rows.length, {
        timeoutMs: 60_000,
        message: 'every row in the stream after the restart',
      });
      const check = createChangeLogSource(database.db, { consumer });
      await waitFor(async () => (await check.backlog()).events === 0, {
        timeoutMs: 30_000,
        message: 'change-log progress complete',
      });
      await second.kill('SIGTERM');
      const statsLine = await second.waitForLine(/^stats (.*)$/);
      const stats = JSON.parse(statsLine[1]!) as { published: number };

      const stored = await probe.messages(names.stream);
      const ids = stored.map((m) => m.headers?.get('Nats-Msg-Id'));
      expect(ids).toHaveLength(rows.length);
      expect(new Set(ids)).toEqual(new Set(rows.map((row) => row.id)));
      // The restarted bridge stored exactly what the first had not; anything it republished
      // from the unsaved in-flight window was dropped by Nats-Msg-Id.
      expect(stats.published).toBe(rows.length - beforeCrash);
    });
  },
);
