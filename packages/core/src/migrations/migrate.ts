import type { SqlClient } from '../db/sql-client.js';
import { CoreError } from '../errors/core-error.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import { coreMigrations } from './core-migrations.js';
import { incompleteError, checksumError, failedError } from './migration-errors.js';
import {
  ensureLedger,
  finishLedgerEntry,
  insertLedgerEntry,
  lockMigrations,
  readLedger,
  readLedgerEntry,
  type LedgerEntry,
} from './migration-ledger.js';
import { announceLiveRunner, isRunnerBusy, waitForRunner } from './migration-runner-lock.js';
import { isTransactional, type Migration, type MigrationSet } from './migration.js';

/** Options for {@link migrate}. */
export interface MigrateOptions {
  /**
   * The migration sets to apply, in order (each package that owns tables ships one).
   * @defaultValue `[coreMigrations]`
   */
  readonly sets?: readonly MigrationSet[] | undefined;
  /**
   * Report what would run without changing anything (not even creating the ledger).
   * @defaultValue false
   */
  readonly dryRun?: boolean | undefined;
  /** @defaultValue {@link silentLogger} */
  readonly logger?: Logger | undefined;
  /** Stops between migrations; a migration already running is finished first. */
  readonly signal?: AbortSignal | undefined;
}

/** What {@link migrate} did (or would do) for one namespace. */
export interface NamespaceMigrationReport {
  readonly namespace: string;
  /** Applied by this run. */
  readonly applied: readonly string[];
  /** Already applied before this run (or by a concurrent runner). */
  readonly skipped: readonly string[];
  /** Not applied: what a dry run would apply. Empty after a successful real run. */
  readonly pending: readonly string[];
}

/** The outcome of {@link migrate}. */
export interface MigrationReport {
  readonly dryRun: boolean;
  readonly namespaces: readonly NamespaceMigrationReport[];
}

/**
 * Applies the migrations of each set that the ledger (`core.tb_schema_migration`) does not list
 * yet, in order, each in its own transaction, and records them. Safe to run on every start and
 * from several processes at once: runners take an advisory lock, so each migration is applied
 * once. Before applying anything it checks the whole ledger and stops on a migration that may be
 * half-applied or whose SQL changed since it was applied.
 *
 * A migration whose first line is `-- fraiseql:no-transaction` runs outside a transaction
 * (PostgreSQL then runs a multi-statement script as one implicit transaction, so keep such a
 * migration to one statement, e.g. `CREATE INDEX CONCURRENTLY`). It is recorded as `running`
 * before it starts, so a crash or failure midway is detected by the next run, while a runner
 * that is still executing it is waited for. It runs on a connection of its own, so a pool needs
 * at least two connections.
 *
 * @throws {CoreError} `MIGRATION_INCOMPLETE` naming a migration recorded as `running` or
 *   `failed` (resolve it with {@link resolveMigration}); `MIGRATION_CHECKSUM_MISMATCH` naming an
 *   applied migration whose SQL changed; `MIGRATION_FAILED` naming the migration whose SQL
 *   failed (with the database error as `cause`); `INVALID_ARGUMENT` for duplicate namespaces.
 * @example
 * const report = await migrate(db, { sets: [coreMigrations, observerMigrations] });
 */
export async function migrate(
  db: SqlClient,
  options: MigrateOptions = {},
): Promise<MigrationReport> {
  const logger = options.logger ?? silentLogger;
  const sets = options.sets ?? [coreMigrations];
  const namespaces = new Set<string>();
  for (const set of sets) {
    if (namespaces.has(set.namespace)) {
      throw new CoreError(
        'INVALID_ARGUMENT',
        `migrate: the namespace ${JSON.stringify(set.namespace)} is given twice; each migration set needs its own namespace`,
      );
    }
    namespaces.add(set.namespace);
  }
  const loaded = await Promise.all(
    sets.map(async (set) => ({ namespace: set.namespace, migrations: await set.load() })),
  );
  options.signal?.throwIfAborted();

  const ledger = await settledLedger(
    db,
    namespaces,
    options.dryRun === true,
    logger,
    options.signal,
  );
  const plans = loaded.map(({ namespace, migrations }) =>
    plan(namespace, migrations, ledger, logger),
  );

  if (options.dryRun === true) {
    return {
      dryRun: true,
      namespaces: plans.map((p) => ({
        namespace: p.namespace,
        applied: [],
        skipped: p.skipped,
        pending: p.pending.map((m) => m.id),
      })),
    };
  }

  const reports: NamespaceMigrationReport[] = [];
  for (const p of plans) {
    const applied: string[] = [];
    const skipped = [...p.skipped];
    for (const migration of p.pending) {
      options.signal?.throwIfAborted();
      const outcome = await apply(db, p.namespace, migration, logger, options.signal);
      (outcome === 'applied' ? applied : skipped).push(migration.id);
      logger.info(
        { namespace: p.namespace, migration: migration.id, outcome },
        outcome === 'applied'
          ? `applied migration ${p.namespace}/${migration.id}`
          : `migration ${p.namespace}/${migration.id} was applied by another runner`,
      );
    }
    reports.push({ namespace: p.namespace, applied, skipped, pending: [] });
  }
  return { dryRun: false, namespaces: reports };
}

interface Plan {
  readonly namespace: string;
  readonly skipped: string[];
  readonly pending: Migration[];
}

function plan(
  namespace: string,
  migrations: readonly Migration[],
  ledger: readonly LedgerEntry[],
  logger: Logger,
): Plan {
  const entries = new Map(
    ledger.filter((entry) => entry.namespace === namespace).map((entry) => [entry.id, entry]),
  );
  const skipped: string[] = [];
  const pending: Migration[] = [];
  for (const migration of migrations) {
    const entry = entries.get(migration.id);
    if (entry === undefined) {
      pending.push(migration);
      continue;
    }
    checkEntry(namespace, migration, entry);
    skipped.push(migration.id);
  }
  const lastApplied = skipped.at(-1);
  for (const migration of pending) {
    if (lastApplied !== undefined && migration.id < lastApplied) {
      logger.warn(
        { namespace, migration: migration.id, lastApplied },
        `migration ${namespace}/${migration.id} is older than the applied ${namespace}/${lastApplied}; applying it now`,
      );
    }
  }
  return { namespace, skipped, pending };
}

function checkEntry(namespace: string, migration: Migration, entry: LedgerEntry): void {
  if (entry.status !== 'applied') throw incompleteError(entry);
  if (entry.checksum !== migration.checksum) throw checksumError(namespace, migration, entry);
}

// Reads the ledger; while a live runner is still executing a migration of these namespaces,
// waits for it, so a `running` row that remains means a runner died midway.
async function settledLedger(
  db: SqlClient,
  namespaces: ReadonlySet<string>,
  dryRun: boolean,
  logger: Logger,
  signal: AbortSignal | undefined,
): Promise<LedgerEntry[]> {
  for (;;) {
    const state = await db.transaction(async (tx) => {
      if (!dryRun) {
        await lockMigrations(tx);
        await ensureLedger(tx);
      }
      const ledger = await readLedger(tx);
      for (const entry of ledger) {
        if (entry.status !== 'running' || !namespaces.has(entry.namespace)) continue;
        const key = `${entry.namespace}/${entry.id}`;
        if (await isRunnerBusy(tx, key)) return { busy: key };
      }
      return { ledger };
    });
    if (state.ledger !== undefined) return state.ledger;
    logger.info({ migration: state.busy }, `waiting for another runner to finish ${state.busy}`);
    await waitForRunner(db, state.busy, signal);
  }
}

type Outcome = 'applied' | 'skipped' | { readonly busy: string };

async function apply(
  db: SqlClient,
  namespace: string,
  migration: Migration,
  logger: Logger,
  signal: AbortSignal | undefined,
): Promise<'applied' | 'skipped'> {
  for (;;) {
    const outcome = isTransactional(migration)
      ? await applyInTransaction(db, namespace, migration)
      : await applyOutsideTransaction(db, namespace, migration);
    if (typeof outcome === 'string') return outcome;
    logger.info(
      { migration: outcome.busy },
      `waiting for another runner to finish ${outcome.busy}`,
    );
    await waitForRunner(db, outcome.busy, signal);
  }
}

// The ledger row of a migration, read under the lock: another runner may have applied it (or
// be applying it) since this run read the ledger.
async function checkLedger(
  tx: SqlClient,
  namespace: string,
  migration: Migration,
): Promise<Outcome | undefined> {
  const entry = await readLedgerEntry(tx, namespace, migration.id);
  if (entry === undefined) return undefined;
  const key = `${namespace}/${migration.id}`;
  if (entry.status === 'running' && (await isRunnerBusy(tx, key))) return { busy: key };
  checkEntry(namespace, migration, entry);
  return 'skipped';
}

async function applyInTransaction(
  db: SqlClient,
  namespace: string,
  migration: Migration,
): Promise<Outcome> {
  return db.transaction(async (tx) => {
    await lockMigrations(tx);
    const existing = await checkLedger(tx, namespace, migration);
    if (existing !== undefined) return existing;
    try {
      await tx.exec(migration.sql);
    } catch (cause) {
      throw failedError(
        namespace,
        migration,
        cause,
        'it was rolled back, nothing of it was applied',
      );
    }
    await insertLedgerEntry(tx, { ...migration, namespace, status: 'applied' });
    return 'applied';
  });
}

async function applyOutsideTransaction(
  db: SqlClient,
  namespace: string,
  migration: Migration,
): Promise<Outcome> {
  const key = `${namespace}/${migration.id}`;
  return db.session(async (connection) => {
    const claim = await db.transaction(async (tx) => {
      await lockMigrations(tx);
      const found = await checkLedger(tx, namespace, migration);
      if (found !== undefined) return found;
      const runner = await announceLiveRunner(connection, key);
      try {
        // Recorded as running before it starts: if this process dies midway, the row stays.
        await insertLedgerEntry(tx, { ...migration, namespace, status: 'running' });
      } catch (error) {
        await runner.release();
        throw error;
      }
      return runner;
    });
    if (typeof claim === 'string' || 'busy' in claim) return claim;
    try {
      try {
        await connection.exec(migration.sql);
      } catch (cause) {
        const error = failedError(
          namespace,
          migration,
          cause,
          'it ran outside a transaction and may be half-applied; it is recorded as failed',
        );
        await finishLedgerEntry(db, namespace, migration.id, {
          status: 'failed',
          error: error.message,
        });
        throw error;
      }
      await finishLedgerEntry(db, namespace, migration.id, { status: 'applied' });
      return 'applied';
    } finally {
      // Released after the final status is recorded, so waiting runners read it.
      await claim.release();
    }
  });
}
