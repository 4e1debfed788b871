import { CoreError } from '../errors/core-error.js';
import type { LedgerEntry } from './migration-ledger.js';
import type { Migration } from './migration.js';

/** A migration the ledger shows as started but not finished. */
export function incompleteError(entry: LedgerEntry): CoreError {
  const name = `${entry.namespace}/${entry.id}`;
  const state =
    entry.status === 'failed'
      ? `failed at ${(entry.finishedAt ?? entry.startedAt).toISOString()}${entry.error === undefined ? '' : ` (${entry.error})`}`
      : `was started at ${entry.startedAt.toISOString()} and never finished (if another migrate run is still busy with it, wait for that run)`;
  return new CoreError(
    'MIGRATION_INCOMPLETE',
    `migration ${name} ${state}; it may be half-applied, so nothing else was migrated. Inspect the database, complete or undo the migration by hand, then call resolveMigration(db, { namespace: ${JSON.stringify(entry.namespace)}, id: ${JSON.stringify(entry.id)}, as: 'applied' | 'pending' })`,
    { details: { namespace: entry.namespace, migration: entry.id, status: entry.status } },
  );
}

/** An applied migration whose SQL changed since. */
export function checksumError(
  namespace: string,
  migration: Migration,
  entry: LedgerEntry,
): CoreError {
  return new CoreError(
    'MIGRATION_CHECKSUM_MISMATCH',
    `migration ${namespace}/${migration.id} was applied with checksum ${entry.checksum.slice(0, 12)}… but its SQL now has checksum ${migration.checksum.slice(0, 12)}…; an applied migration must not change, add a new migration instead`,
    {
      details: {
        namespace,
        migration: migration.id,
        appliedChecksum: entry.checksum,
        currentChecksum: migration.checksum,
      },
    },
  );
}

/** A migration whose SQL failed, with the line of the failing statement when the driver reports it. */
export function failedError(
  namespace: string,
  migration: Migration,
  cause: unknown,
  consequence: string,
): CoreError {
  const message = cause instanceof Error ? cause.message : String(cause);
  const line = errorLine(migration.sql, cause);
  return new CoreError(
    'MIGRATION_FAILED',
    `migration ${namespace}/${migration.id} failed${line === undefined ? '' : ` at line ${line}`}: ${message}; ${consequence}`,
    {
      cause,
      details: { namespace, migration: migration.id, ...(line === undefined ? {} : { line }) },
    },
  );
}

// PostgreSQL reports the 1-based character position of a syntax or name error in the script.
function errorLine(sql: string, cause: unknown): number | undefined {
  const position = Number((cause as { position?: unknown } | null)?.position);
  if (!Number.isInteger(position) || position < 1 || position > sql.length + 1) return undefined;
  return sql.slice(0, position - 1).split('\n').length;
}
