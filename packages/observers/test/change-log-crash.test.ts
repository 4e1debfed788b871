import type { SqlClient } from '@fraiseql/core';
import { requireService, waitFor, type SpawnedNode } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeEvents } from './fixtures/change-log-fixture.js';
import {
  createChangeLogWorkerHarness,
  type ChangeLogWorkerHarness,
} from './fixtures/change-log-worker-harness.js';

const postgres = await requireService('postgres');

describe.skipIf(postgres === undefined)('change-log source across a crash (kill -9)', () => {
  let harness: ChangeLogWorkerHarness;
  let db: SqlClient;

  beforeAll(async () => {
    harness = await createChangeLogWorkerHarness(postgres!);
    db = harness.db;
  });

  afterAll(async () => {
    await harness.close();
  });

  function worker(workerId: string, env: Record<string, string> = {}): SpawnedNode {
    return harness.spawn({ CONSUMER: 'crash', WORKER_ID: workerId, LEASE: '2s', ...env });
  }

  async function count(sql: string, params: unknown[] = []): Promise<number> {
    const result = await db.query<{ n: string }>(sql, params);
    return Number(result.rows[0]?.n ?? 0);
  }

  it('delivers every event at least once after a kill -9 mid-batch, duplicating only the in-flight window', async () => {
    const total = 2000;
    const written = await writeEvents(db, total);
    const batch = 20;
    // The events after the 300th never finish in the first worker: when it is killed it holds
    // claims, some started (recorded) and maybe some only prefetched, whatever the machine's
    // speed. Without the hang, a fast worker can sit between two claim rounds with
    // nothing claimed at the moment of the kill.
    const first = worker('w1', {
      HANDLER_DELAY_MS: '5',
      BATCH: String(batch),
      CONCURRENCY: '10',
      PREFETCH: '10',
      HANG_AFTER_SEQ: String(written[299]!.seq),
    });
    await first.waitForLine(/^ready$/);
    // 300 done, and every one of the 10 slots running an event that never finishes.
    await waitFor(async () => (await count('SELECT count(*) AS n FROM deliveries')) >= 310, {
      timeoutMs: 30_000,
      message: '310 deliveries before the crash',
    });
    await first.kill('SIGKILL');

    const deliveredBeforeCrash = await count(
      'SELECT count(DISTINCT event_id) AS n FROM deliveries',
    );
    const heldByDead = await db.query<{ pk: string }>(
      "SELECT pk_entity_change_log::text AS pk FROM core.v_observer_claim WHERE consumer = 'crash' AND lease_owner = 'w1'",
    );
    // Killed mid-batch: work was claimed but not finished (at most concurrency + prefetch
    // = 20 rows), and much was never started.
    expect(heldByDead.rows.length).toBeGreaterThan(0);
    expect(heldByDead.rows.length).toBeLessThanOrEqual(batch);
    expect(deliveredBeforeCrash).toBeLessThan(total);

    const second = worker('w2', { BATCH: String(batch), CONCURRENCY: '10' });
    await second.waitForLine(/^ready$/);
    await waitFor(
      async () => (await count('SELECT count(DISTINCT event_id) AS n FROM deliveries')) === total,
      { timeoutMs: 60_000, message: 'every event delivered after the restart' },
    );
    await waitFor(
      async () =>
        (await count(
          "SELECT count(*) AS n FROM core.v_observer_claim WHERE consumer = 'crash'",
        )) === 0,
      { message: 'no claim left' },
    );

    // Same event id for the same row every time it was delivered.
    const mismatched = await count(
      `SELECT count(*) AS n FROM deliveries d JOIN core.tb_entity_change_log l
         ON l.pk_entity_change_log = d.seq WHERE l.id <> d.event_id`,
    );
    expect(mismatched).toBe(0);
    expect(await count('SELECT count(DISTINCT seq) AS n FROM deliveries')).toBe(written.length);

    // Duplicates: only rows the dead worker had claimed and not finished.
    const duplicates = await db.query<{ seq: string; workers: string[] }>(
      `SELECT seq::text, array_agg(worker ORDER BY at) AS workers FROM deliveries
       GROUP BY seq HAVING count(*) > 1`,
    );
    const inFlight = new Set(heldByDead.rows.map((row) => row.pk));
    for (const row of duplicates.rows) {
      expect({ seq: row.seq, inFlight: inFlight.has(row.seq), workers: row.workers }).toEqual({
        seq: row.seq,
        inFlight: true,
        workers: ['w1', 'w2'],
      });
    }
    expect(duplicates.rows.length).toBeLessThanOrEqual(batch);
    const redelivered = await count(
      "SELECT count(*) AS n FROM deliveries WHERE worker = 'w2' AND attempt > 1",
    );
    expect(redelivered).toBe(heldByDead.rows.length);
  });
});
