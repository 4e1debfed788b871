import { createHash } from 'node:crypto';

import { CoreError } from '../errors/core-error.js';

/** One schema change: an ordered id, its SQL and the checksum the ledger records. */
export interface Migration {
  /** `NNNN_name`, ordered by its number (`0001_change_log`). */
  readonly id: string;
  readonly sql: string;
  /** SHA-256 of the SQL (line endings normalised), compared on every run. */
  readonly checksum: string;
}

/** The migrations one package ships, applied in `id` order under its own namespace. */
export interface MigrationSet {
  /** Ledger namespace (`core`, `observers`), unique across the sets of one run. */
  readonly namespace: string;
  load(): Promise<Migration[]>;
}

/** First-line marker of a migration that must run outside a transaction (`CREATE INDEX CONCURRENTLY`). */
export const NO_TRANSACTION_MARKER = '-- fraiseql:no-transaction';

const MIGRATION_ID = /^\d{4}_[A-Za-z0-9_-]+$/;
const NAMESPACE = /^[a-z][a-z0-9_-]*$/;

/**
 * Builds a {@link Migration} from its id and SQL, computing the checksum.
 *
 * @throws {CoreError} `INVALID_ARGUMENT` when the id is not `NNNN_name`.
 */
export function createMigration(id: string, sql: string): Migration {
  if (!MIGRATION_ID.test(id)) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `migration id ${JSON.stringify(id)}: expected NNNN_name, for example "0001_change_log"`,
    );
  }
  return { id, sql, checksum: migrationChecksum(sql) };
}

/** SHA-256 (hex) of a migration's SQL with CRLF line endings read as LF. */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** True unless the first non-blank line of the SQL is {@link NO_TRANSACTION_MARKER}. */
export function isTransactional(migration: Migration): boolean {
  const firstLine = migration.sql.split('\n').find((line) => line.trim() !== '');
  return firstLine?.trim() !== NO_TRANSACTION_MARKER;
}

/**
 * A {@link MigrationSet} from migrations held in code, for packages that generate their SQL.
 *
 * @throws {CoreError} `INVALID_ARGUMENT` for a bad namespace or id, or duplicate ids.
 * @example defineMigrationSet('billing', [{ id: '0001_invoice', sql: 'CREATE TABLE ...' }])
 */
export function defineMigrationSet(
  namespace: string,
  migrations: readonly { readonly id: string; readonly sql: string }[],
): MigrationSet {
  assertNamespace(namespace);
  const built = sortMigrations(
    namespace,
    migrations.map((migration) => createMigration(migration.id, migration.sql)),
  );
  return { namespace, load: () => Promise.resolve([...built]) };
}

/** @throws {CoreError} `INVALID_ARGUMENT` unless the namespace is a lower-case word. */
export function assertNamespace(namespace: string): void {
  if (!NAMESPACE.test(namespace)) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `migration namespace ${JSON.stringify(namespace)}: expected lower-case letters, digits, "_" or "-"`,
    );
  }
}

/**
 * Orders migrations by id and rejects two migrations with the same number.
 *
 * @throws {CoreError} `INVALID_ARGUMENT` naming the clashing ids.
 */
export function sortMigrations(namespace: string, migrations: readonly Migration[]): Migration[] {
  const sorted = [...migrations].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let index = 1; index < sorted.length; index += 1) {
    const previous = sorted[index - 1];
    const current = sorted[index];
    if (previous !== undefined && current?.id.slice(0, 4) === previous.id.slice(0, 4)) {
      throw new CoreError(
        'INVALID_ARGUMENT',
        `migrations ${namespace}/${previous.id} and ${namespace}/${current.id} share the number ${current.id.slice(0, 4)}; give each migration its own number`,
      );
    }
  }
  return sorted;
}
