import { setTimeout as delay } from 'node:timers/promises';

import type { SqlClient } from '../db/sql-client.js';

// Advisory-lock class of "a runner is executing this migration outside a transaction". The
// lock is a session lock on the connection running the migration, so it disappears with that
// connection when the runner dies, and it never holds a snapshot that `CREATE INDEX
// CONCURRENTLY` would wait for.
const RUNNER_LOCK_CLASS = 1_181_897_041;

// Migrations this process is running outside a transaction, by `namespace/id`. PGlite has one
// connection, so there the in-process record is the only sign of a live runner.
const runningHere = new Map<string, Promise<void>>();

/** Marks a migration as being run by a live runner until `release()`. */
export interface LiveRunner {
  release(): Promise<void>;
}

/**
 * True when a live runner may still be executing the migration recorded as `running` under
 * `key`. Does not wait and keeps no lock.
 */
export async function isRunnerBusy(db: SqlClient, key: string): Promise<boolean> {
  if (runningHere.has(key)) return true;
  if (db.dialect !== 'postgres') return false;
  const result = await db.query<{ free: boolean }>(
    `SELECT CASE WHEN pg_try_advisory_lock($1::int, $2::int)
                 THEN pg_advisory_unlock($1::int, $2::int) ELSE false END AS free`,
    [RUNNER_LOCK_CLASS, runnerLockKey(key)],
  );
  return result.rows[0]?.free !== true;
}

/**
 * Waits until the runner {@link isRunnerBusy} saw has finished. Polls rather than blocking on
 * the lock: a waiting statement holds a snapshot, which `CREATE INDEX CONCURRENTLY` in the
 * other runner would wait for in turn.
 */
export async function waitForRunner(
  db: SqlClient,
  key: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const local = runningHere.get(key);
  if (local !== undefined) {
    await local;
    return;
  }
  let pause = 50;
  while (await isRunnerBusy(db, key)) {
    await delay(pause, undefined, signal === undefined ? {} : { signal });
    pause = Math.min(pause * 2, 1_000);
  }
}

/**
 * Announces that this process runs the migration `key` outside a transaction, on
 * `connection` (from {@link SqlClient.session}). Call it inside the claiming transaction, so no
 * other runner sees the `running` ledger row before the announcement.
 */
export async function announceLiveRunner(connection: SqlClient, key: string): Promise<LiveRunner> {
  let markDone!: () => void;
  runningHere.set(
    key,
    new Promise<void>((resolve) => {
      markDone = resolve;
    }),
  );
  const forget = (): void => {
    runningHere.delete(key);
    markDone();
  };
  if (connection.dialect !== 'postgres') {
    return {
      release() {
        forget();
        return Promise.resolve();
      },
    };
  }
  const lockKey = runnerLockKey(key);
  try {
    await connection.query('SELECT pg_advisory_lock($1::int, $2::int)', [
      RUNNER_LOCK_CLASS,
      lockKey,
    ]);
  } catch (error) {
    forget();
    throw error;
  }
  return {
    async release() {
      try {
        await connection.query('SELECT pg_advisory_unlock($1::int, $2::int)', [
          RUNNER_LOCK_CLASS,
          lockKey,
        ]);
      } finally {
        forget();
      }
    },
  };
}

// 32-bit FNV-1a of `namespace/id`, as a signed int4. A collision only makes a runner wait.
function runnerLockKey(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(key)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}
