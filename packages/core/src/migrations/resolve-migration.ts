import type { SqlClient } from '../db/sql-client.js';
import { CoreError } from '../errors/core-error.js';
import { ledgerExists, lockMigrations, readLedgerEntry } from './migration-ledger.js';

/** Options for {@link resolveMigration}. */
export interface ResolveMigrationOptions {
  readonly namespace: string;
  readonly id: string;
  /**
   * `applied`: the migration was completed by hand, record it as applied. `pending`: it was
   * undone by hand, forget it so the next {@link migrate} runs it again.
   */
  readonly as: 'applied' | 'pending';
}

/**
 * Settles a migration that {@link migrate} reported as incomplete (`MIGRATION_INCOMPLETE`),
 * after an operator has inspected the database and completed or undone it.
 *
 * @throws {CoreError} `INVALID_ARGUMENT` when the ledger has no such migration or it is already
 *   applied.
 */
export async function resolveMigration(
  db: SqlClient,
  options: ResolveMigrationOptions,
): Promise<void> {
  const name = `${options.namespace}/${options.id}`;
  await db.transaction(async (tx) => {
    await lockMigrations(tx);
    const entry = (await ledgerExists(tx))
      ? await readLedgerEntry(tx, options.namespace, options.id)
      : undefined;
    if (entry === undefined) {
      throw new CoreError(
        'INVALID_ARGUMENT',
        `resolveMigration: the ledger has no migration ${name}; nothing to resolve`,
      );
    }
    if (entry.status === 'applied') {
      throw new CoreError(
        'INVALID_ARGUMENT',
        `resolveMigration: migration ${name} is already applied; nothing to resolve`,
      );
    }
    if (options.as === 'applied') {
      await tx.query(
        `UPDATE core.tb_schema_migration SET status = 'applied', finished_at = clock_timestamp(), error = NULL
          WHERE namespace = $1 AND id = $2`,
        [options.namespace, options.id],
      );
    } else {
      await tx.query('DELETE FROM core.tb_schema_migration WHERE namespace = $1 AND id = $2', [
        options.namespace,
        options.id,
      ]);
    }
  });
}
