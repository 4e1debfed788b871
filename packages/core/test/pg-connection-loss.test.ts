import { startService, waitFor, type StartedService } from '@fraiseql/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  CHANGE_LOG_CHANNEL,
  installCapture,
  isConnectionLoss,
  migrate,
  pgClient,
  type ServiceState,
  type SqlClient,
} from '../src/index.js';

// A private cluster: these tests terminate backends and restart the server.
let server: StartedService;
let db: SqlClient;
let admin: pg.Pool;

beforeAll(async () => {
  server = await startService('postgres');
  const setup = new pg.Client(server.url);
  await setup.connect();
  // Two-phase commit is off by default; it needs a restart to change.
  await setup.query('ALTER SYSTEM SET max_prepared_transactions = 4');
  await setup.end();
  await server.stop();
  await server.start();
  // No 'error' listener of our own on this pool: the client under test must add the ones it needs.
  db = pgClient(new pg.Pool({ connectionString: server.url, max: 4 }), { ownsPool: true });
  admin = new pg.Pool({ connectionString: server.url, max: 2 });
  admin.on('error', () => undefined);
});

afterAll(async () => {
  await db.close();
  await admin.end();
  await server.close();
});

function state(name: string): ServiceState | undefined {
  return db.services().find((service) => service.name === name)?.state;
}

/** Terminates the backends whose current or last statement matches `pattern`. */
async function terminate(pattern: string): Promise<number> {
  const result = await admin.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND query LIKE $1`,
    [pattern],
  );
  return result.rowCount ?? 0;
}

/** Subscribes to `channel` and records notifications, losses and recoveries. */
async function subscribe(channel: string) {
  const seen = { payloads: [] as string[], lost: 0, restored: 0 };
  const unlisten = await db.listen(channel, (payload) => seen.payloads.push(payload), {
    onLost: () => (seen.lost += 1),
    onRestored: () => (seen.restored += 1),
  });
  return { seen, unlisten };
}

async function notifiedAfterRecovery(
  channel: string,
  seen: { payloads: string[] },
  payload: string,
) {
  // NOTIFY until one arrives: the first ones may go out before LISTEN is issued again.
  await waitFor(
    async () => {
      await admin.query('SELECT pg_notify($1, $2)', [channel, payload]);
      return seen.payloads.includes(payload);
    },
    { timeoutMs: 20_000, intervalMs: 100, message: `notification ${payload} after recovery` },
  );
}

describe('pgClient when PostgreSQL connections are lost (private cluster)', () => {
  it('re-establishes a terminated LISTEN connection and reports it lost, then restored', async () => {
    const { seen, unlisten } = await subscribe('loss_listen');
    try {
      await admin.query(`SELECT pg_notify('loss_listen', 'before')`);
      await waitFor(() => seen.payloads.includes('before'));
      expect(state('postgres:listen')).toBe('up');

      expect(await terminate('LISTEN loss_listen')).toBe(1);
      await waitFor(() => seen.lost === 1, { message: 'onLost' });
      await waitFor(() => seen.restored === 1, { timeoutMs: 20_000, message: 'onRestored' });
      await notifiedAfterRecovery('loss_listen', seen, 'after');
      const listen = db.services().find((service) => service.name === 'postgres:listen');
      expect(listen).toMatchObject({ state: 'up', outages: 1 });
      expect(listen?.lastError?.message).toMatch(/terminat/i);
    } finally {
      await unlisten();
    }
  });

  it('fails a transaction whose connection is terminated, then serves the next one', async () => {
    await db.exec('CREATE TABLE IF NOT EXISTS loss_tx (id int PRIMARY KEY)');
    const failure = await db
      .transaction(async (tx) => {
        await tx.query('INSERT INTO loss_tx VALUES (1)');
        // The statement this backend ran last identifies it.
        expect(await terminate('INSERT INTO loss_tx VALUES (1)')).toBe(1);
        await waitFor(() => state('postgres') === 'down', { message: 'pool reported down' });
        await tx.query('INSERT INTO loss_tx VALUES (2)');
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isConnectionLoss(failure)).toBe(true);
    // Rolled back server-side with the connection: nothing of it was committed.
    expect((await db.query('SELECT id FROM loss_tx')).rows).toEqual([]);
    expect(state('postgres')).toBe('up');
    await db.transaction(async (tx) => tx.query('INSERT INTO loss_tx VALUES (3)'));
    expect((await db.query('SELECT id FROM loss_tx')).rows).toEqual([{ id: 3 }]);
  });

  it('fails a session and a cursor whose connections are terminated, and recovers', async () => {
    const sessionFailure = await db
      .session(async (session) => {
        await session.query(`SELECT 'loss_session'`);
        expect(await terminate(`SELECT 'loss_session'`)).toBe(1);
        await waitFor(() => state('postgres') === 'down');
        await session.query('SELECT 1');
      })
      .catch((error: unknown) => error);
    expect(isConnectionLoss(sessionFailure)).toBe(true);
    expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);

    const batches: unknown[] = [];
    const cursorFailure = await (async () => {
      for await (const rows of db.cursor(
        `SELECT n, 'loss_cursor' FROM generate_series(1, 50) n`,
        [],
        {
          batchSize: 5,
        },
      )) {
        batches.push(rows);
        if (batches.length === 1) {
          expect(await terminate(`%'loss_cursor'%`)).toBe(1);
          await waitFor(() => state('postgres') === 'down');
        }
      }
    })().catch((error: unknown) => error);
    expect(batches).toHaveLength(1);
    expect(isConnectionLoss(cursorFailure)).toBe(true);
    const again: unknown[] = [];
    for await (const rows of db.cursor('SELECT n FROM generate_series(1, 7) n', [], {
      batchSize: 5,
    })) {
      again.push(...rows);
    }
    expect(again).toHaveLength(7);
    expect(state('postgres')).toBe('up');
  });

  it.each([
    ['-m fast', 'SIGINT'],
    ['-m immediate', 'SIGQUIT'],
  ] as const)(
    'survives a server restart (%s): statements fail, then the pool and LISTEN come back',
    async (_mode, signal) => {
      const { seen, unlisten } = await subscribe('loss_restart');
      // A transaction open on the server when it goes down.
      let releaseTx!: () => void;
      const txHeld = new Promise<void>((resolve) => (releaseTx = resolve));
      let txOpened!: () => void;
      const txOpen = new Promise<void>((resolve) => (txOpened = resolve));
      const openTx = db
        .transaction(async (tx) => {
          await tx.query('SELECT 1');
          txOpened();
          await txHeld;
          await tx.query('SELECT 2');
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      try {
        // Open before the server goes: a statement that succeeds during the shutdown would
        // count as a recovery and a second outage.
        await txOpen;
        const outagesBefore = db.services().map((service) => service.outages);
        await server.stop(signal);
        await waitFor(() => seen.lost >= 1, { message: 'onLost' });
        expect(state('postgres:listen')).toBe('reconnecting');
        const refused = await db.query('SELECT 1').catch((error: unknown) => error);
        expect(isConnectionLoss(refused)).toBe(true);
        expect(state('postgres')).toBe('down');
        releaseTx();
        expect(isConnectionLoss(await openTx)).toBe(true);

        await server.start();
        await waitFor(() => seen.restored >= 1, { timeoutMs: 30_000, message: 'onRestored' });
        await notifiedAfterRecovery('loss_restart', seen, `back-${signal}`);
        expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
        expect(db.services().map((service) => service.state)).toEqual(['up', 'up']);
        expect(db.services().map((service) => service.outages)).toEqual(
          outagesBefore.map((n) => n + 1),
        );
      } finally {
        releaseTx();
        await unlisten();
      }
    },
  );
});

describe('capture without NOTIFY (private cluster with max_prepared_transactions > 0)', () => {
  it('lets a transaction writing the table be prepared; a notifying table cannot', async () => {
    await migrate(db);
    await db.exec(`CREATE TABLE tb_loud (id int PRIMARY KEY, note text);
                   CREATE TABLE tb_quiet (id int PRIMARY KEY, note text)`);
    await installCapture(db, { table: 'tb_loud', entityType: 'Loud', idColumn: 'id' });
    await installCapture(db, {
      table: 'tb_quiet',
      entityType: 'Quiet',
      idColumn: 'id',
      notify: false,
    });
    const { seen, unlisten } = await subscribe(CHANGE_LOG_CHANNEL);
    try {
      const loud = await db
        .session(async (session) => {
          await session.exec(`BEGIN; INSERT INTO tb_loud VALUES (1, 'x')`);
          try {
            await session.exec(`PREPARE TRANSACTION 'fraiseql_loud'`);
          } finally {
            await session.exec('ROLLBACK').catch(() => undefined);
          }
        })
        .catch((error: unknown) => error);
      expect((loud as Error).message).toMatch(/cannot PREPARE a transaction that has executed/);

      await db.session(async (session) => {
        await session.exec(`BEGIN; INSERT INTO tb_quiet VALUES (1, 'prepared')`);
        await session.exec(`PREPARE TRANSACTION 'fraiseql_quiet'`);
      });
      await db.exec(`COMMIT PREPARED 'fraiseql_quiet'`);
      const quiet = await db.query<{ pk: string; object_type: string }>(
        `SELECT pk_entity_change_log::text AS pk, object_type FROM core.tb_entity_change_log
          WHERE object_type = 'Quiet'`,
      );
      expect(quiet.rows).toHaveLength(1);

      // The setting is restored after the quiet table's capture: a later write in the same
      // transaction to a notifying table still wakes readers.
      await db.transaction(async (tx) => {
        await tx.query(`INSERT INTO tb_quiet VALUES (2, 'same tx')`);
        await tx.query(`INSERT INTO tb_loud VALUES (2, 'same tx')`);
      });
      const loudPk = await db.query<{ pk: string }>(
        `SELECT max(pk_entity_change_log)::text AS pk FROM core.tb_entity_change_log`,
      );
      await waitFor(() => seen.payloads.includes(loudPk.rows[0]!.pk), { message: 'loud wake-up' });
      expect(seen.payloads).not.toContain(quiet.rows[0]!.pk);
      expect(seen.payloads).toHaveLength(1);
    } finally {
      await unlisten();
    }
  });
});
