import type { SqlClient } from '@fraiseql/core';
import { requireService, waitFor, type SpawnedNode } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeEvents } from './fixtures/change-log-fixture.js';
import {
  createChangeLogWorkerHarness,
  type ChangeLogWorkerHarness,
} from './fixtures/change-log-worker-harness.js';

const postgres = await requireService('postgres');

describe.skipIf(postgres === undefined)('two worker processes sharing one consumer', () => {
  let harness: ChangeLogWorkerHarness;
  let db: SqlClient;

  beforeAll(async () => {
    harness = await createChangeLogWorkerHarness(postgres!);
    db = harness.db;
  });

  afterAll(async () => {
    await harness.close();
  });

  async function start(workerId: string, env: Record<string, string> = {}): Promise<SpawnedNode> {
    const child = harness.spawn({
      CONSUMER: 'shared',
      WORKER_ID: workerId,
      BATCH: '10',
      CONCURRENCY: '5',
      HANDLER_DELAY_MS: '2',
      LEASE: '1500ms',
      ...env,
    });
    await child.waitForLine(/^ready$/);
    return child;
  }

  async function rows<Row extends object>(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await db.query<Row>(sql, params)).rows;
  }

  it('handles each event once per consumer while both live, and the survivor takes over a killed worker’s leases', async () => {
    // `a` never finishes events of entity "stuck": it holds their leases for as long as it lives.
    const a = await start('a', { HANG_ENTITY: 'stuck' });
    await start('b');

    const written = await writeEvents(db, 400);
    await waitFor(
      async () =>
        Number(
          (await rows<{ n: string }>('SELECT count(DISTINCT seq) AS n FROM deliveries'))[0]!.n,
        ) === 400,
      { timeoutMs: 30_000, message: '400 events delivered' },
    );
    const perWorker = await rows<{ worker: string; n: string; distinct_n: string }>(
      'SELECT worker, count(*) AS n, count(DISTINCT seq) AS distinct_n FROM deliveries GROUP BY worker ORDER BY worker',
    );
    const total = perWorker.reduce((sum, row) => sum + Number(row.n), 0);
    expect(total).toBe(written.length);
    expect(perWorker.map((row) => row.worker)).toEqual(['a', 'b']);

    // Stuck events: `a` keeps some, `b` must not touch them while `a` is alive.
    await db.exec('TRUNCATE deliveries');
    const stuck = await writeEvents(db, 40, 'stuck');
    const held = await waitFor(
      async () => {
        const claims = await rows<{ pk: string; expires: Date }>(
          "SELECT pk_entity_change_log::text AS pk, lease_expires_at AS expires FROM core.v_observer_claim WHERE consumer = 'shared' AND lease_owner = 'a'",
        );
        const done = await rows<{ n: string }>(
          "SELECT count(DISTINCT seq) AS n FROM deliveries WHERE worker = 'b'",
        );
        return claims.length > 0 && claims.length + Number(done[0]!.n) === stuck.length
          ? claims
          : undefined;
      },
      { timeoutMs: 30_000, message: 'a holding stuck events, b done with the rest' },
    );
    const heldSeqs = held.map((row) => row.pk).sort();
    // Let the first leases' original expiry pass (a renews them), and b poll a few times.
    const firstExpiry = Math.max(...held.map((row) => row.expires.getTime()));
    await waitFor(
      async () => {
        const now = await rows<{ now: Date }>('SELECT clock_timestamp() AS now');
        return now[0]!.now.getTime() > firstExpiry + 1_000;
      },
      { timeoutMs: 10_000, message: 'past the first lease expiry' },
    );
    const takenWhileAlive = await rows<{ seq: string }>(
      "SELECT seq::text FROM deliveries WHERE worker = 'b' AND seq = ANY($1::bigint[])",
      [heldSeqs],
    );
    expect(takenWhileAlive).toEqual([]);

    await a.kill('SIGKILL');
    const takenOver = await waitFor(
      async () => {
        const result = await rows<{ seq: string; attempt: number }>(
          "SELECT seq::text, attempt FROM deliveries WHERE worker = 'b' AND seq = ANY($1::bigint[]) ORDER BY seq",
          [heldSeqs],
        );
        return result.length === heldSeqs.length ? result : undefined;
      },
      { timeoutMs: 30_000, message: 'b took over the dead worker’s leases' },
    );
    expect(takenOver.map((row) => row.seq).sort()).toEqual(heldSeqs);
    expect(takenOver.every((row) => row.attempt >= 2)).toBe(true);
  });
});
