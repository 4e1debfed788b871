import type { Delivery, DeliveryOutcome, EventSource } from '@fraiseql/core';
import { requireService, uniqueName, waitFor } from '@fraiseql/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActionRegistry, type ActionRegistry } from '../src/actions/action-registry.js';
import { parseObserversConfig } from '../src/config/load-observers-config.js';
import {
  createObserverExecutor,
  type ObserverExecutor,
} from '../src/execution/observer-executor.js';
import { createObserverDefinitions } from '../src/matching/observer-definition.js';
import { createMatcher, type ObserverMatcher } from '../src/matching/observer-matcher.js';
import { createObserverRuntime, type ObserverRuntime } from '../src/runtime/observer-runtime.js';
import { createChangeLogSource } from '../src/sources/change-log/change-log-source.js';
import {
  createChangeLogDatabase,
  writeEvents,
  type ChangeLogDatabase,
} from './fixtures/change-log-fixture.js';

const pg = await requireService('postgres');

/** Wraps a source so the test sees how every delivery was settled. */
function recordingSource(
  source: EventSource,
  entityType: string,
): EventSource & { readonly settled: DeliveryOutcome[] } {
  // A new consumer reads the log from its start: keep only this test's entity.
  const settled: DeliveryOutcome[] = [];
  return {
    kind: source.kind,
    settled,
    start: (options) =>
      source.start({
        ...options,
        onDelivery: (delivery: Delivery) =>
          options.onDelivery({
            event: delivery.event,
            attempt: delivery.attempt,
            heartbeat: () => delivery.heartbeat(),
            settle: async (outcome) => {
              await delivery.settle(outcome);
              if (delivery.event.entityType === entityType) settled.push(outcome);
            },
          }),
      }),
    close: () => source.close(),
    backlog: (options) => source.backlog!(options),
    [Symbol.asyncDispose]: () => source.close(),
  };
}

const config = (entity: string) => `
observers:
  mirror:
    entity: ${entity}
    events: [INSERT]
    actions:
      - { type: function, name: mirror-${entity} }
`;

describe.skipIf(pg === undefined)(
  'paused observers hold their events (PostgreSQL change log)',
  () => {
    let database: ChangeLogDatabase;
    let registry: ActionRegistry;
    let stack: { runtime: ObserverRuntime; execute: ObserverExecutor } | undefined;

    beforeAll(async () => {
      database = await createChangeLogDatabase(pg!);
      registry = createActionRegistry();
    });
    afterEach(async () => {
      await stack?.runtime.close();
      await stack?.execute.close();
      stack = undefined;
    });
    afterAll(async () => {
      await registry.close();
      await database.close();
    });

    const setup = (
      entity: string,
      executorOptions: { maxPauseWait?: string } = {},
    ): {
      matcher: ObserverMatcher;
      ran: string[];
      source: ReturnType<typeof recordingSource>;
      execute: ObserverExecutor;
      deliveries: string[];
    } => {
      const ran: string[] = [];
      const deliveries: string[] = [];
      registry.registerFunction(`mirror-${entity}`, (event) => {
        ran.push(event.id);
      });
      const matcher = createMatcher(
        createObserverDefinitions(parseObserversConfig(config(entity), { format: 'yaml' })),
      );
      const execute = createObserverExecutor({ matcher, registry, ...executorOptions });
      const source = recordingSource(
        createChangeLogSource(database.db, { consumer: uniqueName('pause'), pollInterval: 100 }),
        entity,
      );
      const runtime = createObserverRuntime({
        sources: source,
        handler: (event, context) => {
          deliveries.push(event.id);
          return execute(event, context);
        },
        concurrency: 32,
        // Two deliveries would be the whole budget: hand-backs must not use it up.
        retry: { maxAttempts: 2, initialDelay: '10ms', maxDelay: '20ms' },
      });
      stack = { runtime, execute };
      return { matcher, ran, source, execute, deliveries };
    };

    it('runs nothing while paused, then every held event exactly once after resume', async () => {
      const { matcher, ran, source, execute } = setup('paused_order');
      matcher.pause('mirror');
      await stack!.runtime.start();
      const written = await writeEvents(database.db, 20, 'paused_order');
      await waitFor(() => execute.stats().heldForPause === 20, { timeoutMs: 10_000 });
      expect(ran).toEqual([]);
      expect(source.settled).toEqual([]);
      // Held events wait outside the action slots.
      expect(execute.stats().runningActions + execute.stats().waitingActions).toBe(0);

      matcher.resume('mirror');

      await waitFor(() => source.settled.length === 20, { timeoutMs: 10_000 });
      expect([...ran].sort()).toEqual(written.map((w) => w.id).sort());
      expect(new Set(ran).size).toBe(20);
      expect(source.settled.every((outcome) => outcome.status === 'done')).toBe(true);
      expect((await stack!.runtime.health()).lagEvents).toBe(0);
    });

    it('drops held events for an observer that is disabled instead of resumed', async () => {
      const { matcher, ran, source, execute } = setup('disabled_order');
      matcher.pause('mirror');
      await stack!.runtime.start();
      await writeEvents(database.db, 5, 'disabled_order');
      await waitFor(() => execute.stats().heldForPause === 5, { timeoutMs: 10_000 });
      matcher.disable('mirror');
      await waitFor(() => source.settled.length === 5, { timeoutMs: 10_000 });
      expect(source.settled.every((outcome) => outcome.status === 'done')).toBe(true);
      expect(ran).toEqual([]);
    });

    it('hands events back after maxPauseWait without using up their attempts, and runs them once on resume', async () => {
      const { matcher, ran, source, deliveries } = setup('long_pause_order', {
        maxPauseWait: '100ms',
      });
      matcher.pause('mirror');
      await stack!.runtime.start();
      const written = await writeEvents(database.db, 5, 'long_pause_order');
      // Every event comes back more often than `maxAttempts` (2) would allow for failures.
      await waitFor(
        () => written.every((w) => deliveries.filter((id) => id === w.id).length >= 4),
        { timeoutMs: 20_000 },
      );
      expect(ran).toEqual([]);
      expect(source.settled.every((outcome) => outcome.status === 'retry')).toBe(true);

      matcher.resume('mirror');
      await waitFor(
        () => source.settled.filter((outcome) => outcome.status === 'done').length === 5,
        { timeoutMs: 20_000 },
      );
      expect([...ran].sort()).toEqual(written.map((w) => w.id).sort());
      expect(source.settled.some((outcome) => outcome.status === 'dead')).toBe(false);
    });
  },
);
