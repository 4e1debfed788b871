import type { Delivery, DeliveryOutcome, EventSource } from '@fraiseql/core';
import { requireService, uniqueName, waitFor } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObserverExecutor } from '../src/execution/observer-executor.js';
import { createObserverRuntime } from '../src/runtime/observer-runtime.js';
import { createChangeLogSource } from '../src/sources/change-log/change-log-source.js';
import {
  capturingLogger,
  httpPostAction,
  matcherOf,
  recordingMetrics,
  registryOf,
  startReceiver,
  type Receiver,
} from './execution-helpers.js';
import {
  createChangeLogDatabase,
  writeEvents,
  type ChangeLogDatabase,
} from './fixtures/change-log-fixture.js';

const pg = await requireService('postgres');

/** Wraps a source so the test sees every delivery and how it was settled. */
function recordingSource(source: EventSource): EventSource & {
  readonly deliveries: number[];
  readonly settled: DeliveryOutcome[];
} {
  const deliveries: number[] = [];
  const settled: DeliveryOutcome[] = [];
  return {
    kind: source.kind,
    deliveries,
    settled,
    start: (options) =>
      source.start({
        ...options,
        onDelivery: (delivery: Delivery) => {
          deliveries.push(delivery.attempt);
          return options.onDelivery({
            event: delivery.event,
            attempt: delivery.attempt,
            heartbeat: () => delivery.heartbeat(),
            settle: async (outcome) => {
              await delivery.settle(outcome);
              settled.push(outcome);
            },
          });
        },
      }),
    close: () => source.close(),
    [Symbol.asyncDispose]: () => source.close(),
  };
}

describe.skipIf(pg === undefined)('hand-backs do not use up the retry budget (PostgreSQL)', () => {
  let database: ChangeLogDatabase;
  let receiver: Receiver;

  beforeAll(async () => {
    database = await createChangeLogDatabase(pg!);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await database.close();
  });

  it('delivers an event once its endpoint recovers after the breaker stayed open past maxAttempts retries', async () => {
    let down = true;
    receiver.respond = () => ({ status: down ? 503 : 204 });
    const metrics = recordingMetrics();
    const logger = capturingLogger();
    const execute = createObserverExecutor({
      matcher: matcherOf([
        {
          name: 'hook',
          actions: [{ type: 'http-post', url: `${receiver.url}/hook` }],
          retry: { maxAttempts: 50, initialDelay: 5, maxDelay: 10 },
          onFailure: 'log',
        },
      ]),
      registry: registryOf(httpPostAction),
      // One failure opens the breaker; it stays open far longer than the executor will wait.
      breaker: { minimumCalls: 1, failureRate: 0.5, coolDown: '100ms' },
      maxBreakerWait: '10ms',
    });
    const source = recordingSource(
      createChangeLogSource(database.db, { consumer: uniqueName('handback'), pollInterval: 100 }),
    );
    const runtime = createObserverRuntime({
      sources: source,
      handler: execute,
      metrics,
      logger,
      retry: { maxAttempts: 2, initialDelay: '10ms', maxDelay: '20ms' },
    });
    try {
      await runtime.start();
      await writeEvents(database.db, 1, 'hook_order');
      // Well past the runtime's budget of 2 deliveries, the event is still coming back.
      await waitFor(() => source.deliveries.length >= 6, { timeoutMs: 20_000 });
      expect(receiver.requests.length).toBeGreaterThanOrEqual(1);
      expect(source.settled.every((outcome) => outcome.status === 'retry')).toBe(true);

      down = false;
      await waitFor(() => source.settled.some((outcome) => outcome.status === 'done'), {
        timeoutMs: 20_000,
      });
      expect(source.settled.some((outcome) => outcome.status === 'dead')).toBe(false);
      expect(receiver.requests.at(-1)?.path).toBe('/hook');
      // Hand-backs are not failures of the event.
      expect(metrics.failedTypes.filter((type) => type === 'circuit_open')).toEqual([]);
      expect(metrics.counts.eventProcessed).toBe(1);
    } finally {
      await runtime.close();
      await execute.close();
    }
  });
});
