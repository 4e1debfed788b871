import { loadMigrationsFromDirectory } from './load-migrations-from-directory.js';

/**
 * The migrations of `@fraiseql/core`: schema `core`, the change log `core.tb_entity_change_log`
 * with its NOTIFY trigger, and the capture functions (the generator of per-table capture
 * functions, and the generic `core.fn_capture_change()` of earlier versions). The SQL files
 * ship in the package under `sql/migrations/`.
 */
export const coreMigrations = loadMigrationsFromDirectory(
  'core',
  // Two levels up from both src/migrations (tests) and dist/migrations (installed).
  new URL('../../sql/migrations/', import.meta.url),
);
