import { loadMigrationsFromDirectory } from '@fraiseql/core';

/**
 * The migrations of `@fraiseql/observers` (namespace `observers`): consumer checkpoints, leased
 * claims and parked rows of the change-log source, and the observers' dead-letter table. Apply
 * them after `coreMigrations`, e.g. `migrate(db, { sets: [coreMigrations, observerMigrations] })`. The SQL
 * files ship in the package under `sql/migrations/`.
 */
export const observerMigrations = loadMigrationsFromDirectory(
  'observers',
  // Two levels up from both src/migrations (tests) and dist/migrations (installed).
  new URL('../../sql/migrations/', import.meta.url),
);
