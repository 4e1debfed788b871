import type { EntityEvent } from '@fraiseql/core';
import { requireService, waitFor } from '@fraiseql/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createObserverRuntime } from '../src/runtime/observer-runtime.js';
import { createChangeLogSource } from '../src/sources/change-log/change-log-source.js';
import {
  createChangeLogDatabase,
  recordingMetrics,
  writeEvents,
  type ChangeLogDatabase,
} from './fixtures/change-log-fixture.js';

const postgres = await requireService('postgres');

describe.skipIf(postgres === undefined)('observer runtime over the change log', () => {
  let database: ChangeLogDatabase | undefined;
  afterEach(async () => {
    await database?.close();
  });

  it('reports lag, retries a failing event, parks it dead and keeps the rest flowing', async () => {
    database = await createChangeLogDatabase(postgres!);
    const { db } = database;
    const metrics = recordingMetrics();
    const written = await writeEvents(db, 10);
    const poisoned = written[4]!;
    const handled: EntityEvent[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const runtime = createObserverRuntime({
      sources: createChangeLogSource(db, { consumer: 'rt', statsInterval: 50, metrics }),
      metrics,
      concurrency: 4,
      retry: { maxAttempts: 3, initialDelay: 10, maxDelay: 50 },
      handler: async (event) => {
        await released;
        if (event.id === poisoned.id) throw new Error(`cannot handle ${event.id}`);
        handled.push(event);
      },
    });
    await runtime.start();
    // Handlers are held: the whole log is lag.
    const lagging = await waitFor(async () => {
      const health = await runtime.health();
      return health.inFlight === 4 ? health : undefined;
    });
    expect(lagging).toMatchObject({ state: 'running', healthy: true, lagEvents: 10 });
    expect(lagging.sources).toMatchObject([{ kind: 'change-log', lagEvents: 10 }]);
    await waitFor(() => metrics.count('backlog') > 0 && metrics.count('captureLag') > 0);

    release();
    await waitFor(() => handled.length === 9, { message: 'nine events handled' });
    const parked = await waitFor(async () => {
      const result = await db.query<{
        event_id: string;
        kind: string;
        attempts: number;
        reason: string;
      }>(
        "SELECT event_id::text, kind, attempts, reason FROM core.tb_observer_parked WHERE consumer = 'rt'",
      );
      return result.rows[0];
    });
    expect(parked).toEqual({
      event_id: poisoned.id,
      kind: 'dead',
      attempts: 3,
      reason: `cannot handle ${poisoned.id}`,
    });
    expect(metrics.count('eventFailed')).toBe(3);
    expect(metrics.count('eventProcessed')).toBe(9);
    const health = await waitFor(async () => {
      const report = await runtime.health();
      return report.lagEvents === 0 ? report : undefined;
    });
    expect(health.lastError?.message).toBe(`cannot handle ${poisoned.id}`);
    await runtime.close();
  });

  it('close() lets running handlers finish and saves their progress', async () => {
    database = await createChangeLogDatabase(postgres!);
    const { db } = database;
    await writeEvents(db, 3);
    let started = 0;
    let finish!: () => void;
    const finishing = new Promise<void>((resolve) => (finish = resolve));
    const runtime = createObserverRuntime({
      sources: createChangeLogSource(db, { consumer: 'drain' }),
      handler: async () => {
        started += 1;
        await finishing;
      },
    });
    await runtime.start();
    await waitFor(() => started === 3);
    const closing = runtime.close();
    finish();
    await closing;
    const claims = await db.query<{ n: string }>(
      "SELECT count(*) AS n FROM core.v_observer_claim WHERE consumer = 'drain'",
    );
    expect(Number(claims.rows[0]!.n)).toBe(0);
    const source = createChangeLogSource(db, { consumer: 'drain' });
    expect(await source.backlog()).toEqual({ events: 0, oldestAgeSeconds: 0 });
  });
});
