import { serializeEvent, type EventSource } from '@fraiseql/core';
import { requireService, waitFor } from '@fraiseql/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createObserverExecutor } from '../src/execution/observer-executor.js';
import { createObserverRuntime } from '../src/runtime/observer-runtime.js';
import { createChangeLogSource } from '../src/sources/change-log/change-log-source.js';
import { eventSubject } from '../src/sources/nats/event-subject.js';
import { createNatsSource } from '../src/sources/nats/nats-source.js';
import { functionActions, matcherOf, registryOf } from './execution-helpers.js';
import { createChangeLogDatabase, writeEvents } from './fixtures/change-log-fixture.js';
import { makeEvent, natsNames, natsProbe } from './fixtures/nats-events.js';

const nats = await requireService('nats');
const pg = await requireService('postgres');

/** An action that outlives the source's ack deadline, counting starts and overlaps. */
function slowAction(ms: number) {
  const runs = { started: 0, running: 0, overlapped: 0, finished: 0 };
  const executor = functionActions({
    slow: async () => {
      runs.started += 1;
      runs.running += 1;
      if (runs.running > 1) runs.overlapped += 1;
      await new Promise((resolve) => setTimeout(resolve, ms));
      runs.running -= 1;
      runs.finished += 1;
    },
  });
  return { runs, executor };
}

/** Runtime + executor over `sources` with one observer whose action takes `ms`. */
function runtimeWith(sources: EventSource[], ms: number) {
  const { runs, executor } = slowAction(ms);
  const execute = createObserverExecutor({
    matcher: matcherOf([{ name: 'slow', actions: [{ type: 'function', name: 'slow' }] }]),
    registry: registryOf(executor),
    actionTimeout: ms * 4,
  });
  const runtime = createObserverRuntime({ sources, handler: execute });
  return {
    runs,
    runtime,
    close: async () => {
      await runtime.close();
      await execute.close();
    },
  };
}

describe('an action longer than the ack deadline runs once', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it.skipIf(nats === undefined)(
    'NATS JetStream: working() is sent while the action runs, so the message is not redelivered',
    async () => {
      const names = natsNames();
      const probe = await natsProbe(nats!.url, names);
      cleanup.push(() => probe.close());
      // ackWait 1s, action 3s: without progress the server redelivers it twice meanwhile.
      const app = runtimeWith(
        [
          createNatsSource({
            servers: nats!.url,
            stream: names.stream,
            subjectPrefix: names.subjectPrefix,
            durable: names.durable,
            ackWait: 1_000,
          }),
        ],
        3_000,
      );
      cleanup.push(app.close);
      await app.runtime.start();
      const event = makeEvent();
      await probe.publish(
        eventSubject(names.subjectPrefix, event),
        serializeEvent(event),
        event.id,
      );
      await waitFor(
        async () => {
          const info = await probe.jsm.consumers.info(names.stream, names.durable);
          return app.runs.finished >= 1 && info.ack_floor.stream_seq === 1;
        },
        { timeoutMs: 20_000, message: 'the message acknowledged after the action finished' },
      );
      const info = await probe.jsm.consumers.info(names.stream, names.durable);
      expect(info.num_redelivered).toBe(0);
      expect(app.runs).toMatchObject({ started: 1, overlapped: 0 });
    },
  );

  it.skipIf(pg === undefined)(
    'change log: the lease is renewed while the action runs, so neither worker starts it again',
    async () => {
      const database = await createChangeLogDatabase(pg!);
      cleanup.push(() => database.close());
      const source = (workerId: string) =>
        createChangeLogSource(database.db, {
          consumer: 'slow',
          workerId,
          leaseDuration: 1_000,
          pollInterval: 100,
        });
      // Two workers of one consumer: a lapsed lease would be taken over by the other one.
      const first = runtimeWith([source('a')], 3_000);
      cleanup.push(first.close);
      await first.runtime.start();
      await writeEvents(database.db, 1);
      await waitFor(() => first.runs.started === 1, { timeoutMs: 10_000, message: 'started' });
      const second = runtimeWith([source('b')], 3_000);
      cleanup.push(second.close);
      await second.runtime.start();
      await waitFor(() => first.runs.finished === 1, { timeoutMs: 20_000, message: 'finished' });
      await waitFor(async () => (await first.runtime.health()).lagEvents === 0, {
        timeoutMs: 10_000,
        message: 'the event settled done',
      });
      expect(first.runs).toMatchObject({ started: 1, overlapped: 0 });
      expect(second.runs.started).toBe(0);
    },
  );
});
