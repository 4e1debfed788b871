import { fileURLToPath } from 'node:url';
import {
  coreMigrations,
  installCapture,
  migrate,
  pgClient,
  type ServiceState,
  type SqlClient,
} from '@fraiseql/core';
import {
  spawnNode,
  startService,
  waitFor,
  type SpawnedNode,
  type StartedService,
} from '@fraiseql/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observerMigrations } from '../src/index.js';

const WORKER = fileURLToPath(new URL('./fixtures/runtime-outage-worker.mjs', import.meta.url));
// Most deliveries one process holds unsettled (concurrency + prefetch): after a clean (fast)
// shutdown, the only events a lost settlement may deliver twice. An immediate shutdown is a
// crash: the source commits settlements asynchronously, so the last moments' are lost too.
const IN_FLIGHT_WINDOW = 8;

interface HealthLine {
  healthy: boolean;
  state: string;
  services: { name: string; state: ServiceState; outages: number }[];
}

// A private cluster: the tests restart it and terminate its backends under a running runtime.
let server: StartedService;
let db: SqlClient;
let worker: SpawnedNode;
let inserted = 0;

beforeAll(async () => {
  server = await startService('postgres');
  const setup = new pg.Client(server.url);
  await setup.connect();
  await setup.query('ALTER SYSTEM SET max_prepared_transactions = 4');
  await setup.end();
  await server.stop();
  await server.start();
  const pool = new pg.Pool({ connectionString: server.url, max: 4 });
  db = pgClient(pool, { ownsPool: true });
  await migrate(db, { sets: [coreMigrations, observerMigrations] });
  await db.exec(`CREATE TABLE tb_item (id int PRIMARY KEY, note text);
                 CREATE TABLE tb_ledger (id int PRIMARY KEY, note text)`);
  await installCapture(db, { table: 'tb_item', entityType: 'Item', idColumn: 'id' });
  await installCapture(db, {
    table: 'tb_ledger',
    entityType: 'Ledger',
    idColumn: 'id',
    notify: false,
  });
  worker = spawnNode(WORKER, {
    env: { DATABASE_URL: server.url, HANDLER_DELAY_MS: '20', CURSOR: '1' },
  });
  await worker.waitForLine(/^ready$/);
});

afterAll(async () => {
  await worker.close();
  await db.close();
  await server.close();
});

/** Inserts `count` captured rows and returns their event ids. */
async function insertItems(count: number): Promise<string[]> {
  const first = inserted + 1;
  inserted += count;
  await db.query(
    `INSERT INTO tb_item SELECT g, 'n' || g FROM generate_series($1::int, $2::int) g`,
    [first, inserted],
  );
  const rows = await db.query<{ id: string }>(
    `SELECT id::text FROM core.tb_entity_change_log
      WHERE object_type = 'Item' AND object_id::int BETWEEN $1 AND $2`,
    [first, inserted],
  );
  return rows.rows.map((row) => row.id);
}

/** Delivery count per event id, from the worker's output. */
function deliveries(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of worker.lines) {
    const match = /^delivered (\S+) /.exec(line);
    if (match !== null) counts.set(match[1]!, (counts.get(match[1]!) ?? 0) + 1);
  }
  return counts;
}

async function allDelivered(ids: readonly string[], message: string): Promise<void> {
  await waitFor(() => ids.every((id) => deliveries().has(id)), {
    timeoutMs: 45_000,
    intervalMs: 50,
    message,
  });
}

function healthLines(after: number): HealthLine[] {
  return worker.lines
    .slice(after)
    .filter((line) => line.startsWith('health '))
    .map((line) => JSON.parse(line.slice('health '.length)) as HealthLine);
}

function service(line: HealthLine, name: string) {
  return line.services.find((entry) => entry.name === name);
}

async function terminate(where: string): Promise<number> {
  const admin = new pg.Client(server.url);
  await admin.connect();
  try {
    const result = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND ${where}`,
    );
    return result.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

async function noClaimsLeft(): Promise<void> {
  await waitFor(
    async () =>
      (await db.query(`SELECT 1 FROM core.v_observer_claim WHERE consumer = 'outage'`)).rowCount ===
      0,
    { timeoutMs: 30_000, message: 'no claim left' },
  );
}

function expectAlive(): void {
  expect(worker.child.exitCode).toBeNull();
  expect(worker.child.signalCode).toBeNull();
}

describe('observer runtime when PostgreSQL goes away (child process, private cluster)', () => {
  it.each([
    ['-m fast', 'SIGINT'],
    ['-m immediate', 'SIGQUIT'],
  ] as const)(
    'carries on across a server restart (%s): every event delivered, health shows the outage',
    async (_mode, signal) => {
      const warmup = await insertItems(5);
      await allDelivered(warmup, 'warm-up events');
      const mark = worker.lines.length;
      // Some of these are still being handled or waiting for a slot when the server goes.
      const before = await insertItems(40);
      await waitFor(() => before.some((id) => deliveries().has(id)));
      await server.stop(signal);
      await worker.waitForLine(/"postgres:listen","state":"reconnecting"/, { after: mark });
      await server.start();
      // Written while the runtime is still reconnecting: no wake-up reaches it.
      const during = await insertItems(10);
      await allDelivered([...before, ...during], 'events written before and during the outage');
      const after = await insertItems(10);
      await allDelivered(after, 'events written after the outage');
      await noClaimsLeft();

      const counts = deliveries();
      const ids = [...before, ...during, ...after];
      const duplicated = ids.filter((id) => (counts.get(id) ?? 0) > 1);
      // Only events the runtime had claimed before the server went can come twice.
      expect(duplicated.filter((id) => !before.includes(id))).toEqual([]);
      if (signal === 'SIGINT') expect(duplicated.length).toBeLessThanOrEqual(IN_FLIGHT_WINDOW);
      expectAlive();

      const health = healthLines(mark);
      const outage = health.findIndex(
        (line) => !line.healthy && service(line, 'postgres:listen')?.state === 'reconnecting',
      );
      expect(outage).toBeGreaterThanOrEqual(0);
      await waitFor(
        () =>
          healthLines(mark)
            .slice(outage)
            .some((line) => line.healthy),
        {
          timeoutMs: 20_000,
          message: 'healthy again',
        },
      );
      const recovered = healthLines(mark)
        .slice(outage)
        .find((line) => line.healthy)!;
      expect(recovered.services.map((entry) => entry.state)).toEqual(['up', 'up']);
      expect(service(recovered, 'postgres:listen')!.outages).toBeGreaterThanOrEqual(1);
      // The same states reach the metrics seam (fraiseql_service_* gauges).
      const reported = worker.lines
        .slice(mark)
        .filter((line) => line.startsWith('service '))
        .map(
          (line) => JSON.parse(line.slice('service '.length)) as { name: string; state: string },
        );
      expect(
        reported.filter((entry) => entry.name === 'postgres:listen').map((entry) => entry.state),
      ).toContain('reconnecting');
      expect(
        reported.filter((entry) => entry.name === 'postgres').map((entry) => entry.state),
      ).toContain('down');
    },
  );

  it('survives pg_terminate_backend on its LISTEN connection and polls until it is back', async () => {
    const mark = worker.lines.length;
    await waitFor(() => healthLines(mark).length > 0);
    const outagesBefore = service(healthLines(mark).at(-1)!, 'postgres:listen')!.outages;
    expect(await terminate(`query = 'LISTEN fraiseql_change_log'`)).toBe(1);
    const events = await insertItems(5);
    await allDelivered(events, 'events after the LISTEN connection was terminated');
    // The loss may be shorter than one health report: the outage counter still shows it.
    await waitFor(
      () =>
        healthLines(mark).some(
          (line) =>
            line.healthy &&
            service(line, 'postgres:listen')?.state === 'up' &&
            service(line, 'postgres:listen')!.outages === outagesBefore + 1,
        ),
      { timeoutMs: 20_000, message: 'LISTEN back, with one more outage' },
    );
    // Woken by NOTIFY again: the next event arrives without waiting for the 2s safety poll.
    const more = await insertItems(3);
    await allDelivered(more, 'events after LISTEN was re-established');
    expectAlive();
  });

  it('survives pg_terminate_backend on a connection inside a claim transaction; the claim is rolled back', async () => {
    // Hold the consumer's checkpoint row so the next claim transaction waits on it.
    const blocker = new pg.Client(server.url);
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(
        `SELECT 1 FROM core.tb_observer_checkpoint WHERE consumer = 'outage' FOR UPDATE`,
      );
      const events = await insertItems(6);
      const waiting = await waitFor(
        async () =>
          (
            await blocker.query<{ pid: number }>(
              `SELECT pid FROM pg_stat_activity
                WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
            )
          ).rows[0]?.pid,
        { timeoutMs: 10_000, message: 'a claim transaction waiting for the checkpoint lock' },
      );
      const killed = await blocker.query('SELECT pg_terminate_backend($1)', [waiting]);
      expect(killed.rowCount).toBe(1);
      await blocker.query('ROLLBACK');
      await allDelivered(events, 'events after the claim transaction was terminated');
      await noClaimsLeft();
      expect(events.every((id) => deliveries().get(id) === 1)).toBe(true);
      expectAlive();
    } finally {
      await blocker.end();
    }
  });

  it('survives pg_terminate_backend on a cursor connection', async () => {
    const mark = worker.lines.length;
    expect(await terminate(`query LIKE '%outage_cursor%'`)).toBe(1);
    await worker.waitForLine(/^cursor-error .*terminat/i, { after: mark });
    const events = await insertItems(3);
    await allDelivered(events, 'events after the cursor connection was terminated');
    expectAlive();
  });

  it('delivers a change of a table captured without NOTIFY from a prepared transaction', async () => {
    await db.session(async (session) => {
      await session.exec(`BEGIN; INSERT INTO tb_ledger VALUES (1, 'two-phase')`);
      await session.exec(`PREPARE TRANSACTION 'fraiseql_ledger'`);
    });
    await db.exec(`COMMIT PREPARED 'fraiseql_ledger'`);
    const row = await db.query<{ id: string }>(
      `SELECT id::text FROM core.tb_entity_change_log WHERE object_type = 'Ledger'`,
    );
    await allDelivered(
      row.rows.map((entry) => entry.id),
      'the prepared write, found by the poll',
    );
    expectAlive();
  });
});
