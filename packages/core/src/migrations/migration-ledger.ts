import type { SqlClient } from '../db/sql-client.js';

/** Where applied migrations are recorded. */
export const MIGRATION_LEDGER_TABLE = 'core.tb_schema_migration';

/** State of one migration in the ledger: `running` or `failed` means it may be half-applied. */
export type MigrationStatus = 'running' | 'applied' | 'failed';

/** One ledger row. */
export interface LedgerEntry {
  readonly namespace: string;
  readonly id: string;
  readonly checksum: string;
  readonly status: MigrationStatus;
  readonly startedAt: Date;
  readonly finishedAt: Date | undefined;
  readonly error: string | undefined;
}

// Serialises migration runners across processes; the value is arbitrary but fixed.
const LOCK_KEY = '7442396028183712';

const CREATE_LEDGER = `
CREATE SCHEMA IF NOT EXISTS core;
CREATE TABLE IF NOT EXISTS core.tb_schema_migration (
    namespace text NOT NULL,
    id text NOT NULL,
    checksum text NOT NULL,
    status text NOT NULL CHECK (status IN ('running', 'applied', 'failed')),
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    error text,
    PRIMARY KEY (namespace, id)
);`;

/** Takes the migration lock until the end of the transaction `tx` runs in. */
export async function lockMigrations(tx: SqlClient): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [LOCK_KEY]);
}

/** True once the ledger table exists. */
export async function ledgerExists(db: SqlClient): Promise<boolean> {
  const existing = await db.query<{ present: boolean }>(
    `SELECT to_regclass('core.tb_schema_migration') IS NOT NULL AS present`,
  );
  return existing.rows[0]?.present === true;
}

/** Creates schema `core` and the ledger when absent (call with the lock held). */
export async function ensureLedger(tx: SqlClient): Promise<void> {
  // CREATE ... IF NOT EXISTS still emits notices and takes locks; skip it when possible.
  if (!(await ledgerExists(tx))) await tx.exec(CREATE_LEDGER);
}

/** Every ledger row, or none when the ledger does not exist yet. */
export async function readLedger(db: SqlClient): Promise<LedgerEntry[]> {
  if (!(await ledgerExists(db))) return [];
  const result = await db.query<LedgerRow>(
    'SELECT namespace, id, checksum, status, started_at, finished_at, error FROM core.tb_schema_migration ORDER BY namespace, id',
  );
  return result.rows.map(toEntry);
}

/** The ledger row of one migration, locked for the rest of the transaction. */
export async function readLedgerEntry(
  tx: SqlClient,
  namespace: string,
  id: string,
): Promise<LedgerEntry | undefined> {
  const result = await tx.query<LedgerRow>(
    'SELECT namespace, id, checksum, status, started_at, finished_at, error FROM core.tb_schema_migration WHERE namespace = $1 AND id = $2 FOR UPDATE',
    [namespace, id],
  );
  const row = result.rows[0];
  return row === undefined ? undefined : toEntry(row);
}

/** Inserts the ledger row of a migration that starts (`running`) or just finished (`applied`). */
export async function insertLedgerEntry(
  tx: SqlClient,
  entry: { namespace: string; id: string; checksum: string; status: 'running' | 'applied' },
): Promise<void> {
  await tx.query(
    `INSERT INTO core.tb_schema_migration (namespace, id, checksum, status, finished_at)
     VALUES ($1, $2, $3, $4, CASE WHEN $4 = 'applied' THEN clock_timestamp() END)`,
    [entry.namespace, entry.id, entry.checksum, entry.status],
  );
}

/** Marks a `running` migration as finished or failed. */
export async function finishLedgerEntry(
  db: SqlClient,
  namespace: string,
  id: string,
  outcome: { status: 'applied' } | { status: 'failed'; error: string },
): Promise<void> {
  await db.query(
    `UPDATE core.tb_schema_migration
        SET status = $3, finished_at = clock_timestamp(), error = $4
      WHERE namespace = $1 AND id = $2`,
    [namespace, id, outcome.status, outcome.status === 'failed' ? outcome.error : null],
  );
}

interface LedgerRow {
  namespace: string;
  id: string;
  checksum: string;
  status: MigrationStatus;
  started_at: Date | string;
  finished_at: Date | string | null;
  error: string | null;
}

function toEntry(row: LedgerRow): LedgerEntry {
  return {
    namespace: row.namespace,
    id: row.id,
    checksum: row.checksum,
    status: row.status,
    startedAt: new Date(row.started_at),
    finishedAt: row.finished_at === null ? undefined : new Date(row.finished_at),
    error: row.error ?? undefined,
  };
}
