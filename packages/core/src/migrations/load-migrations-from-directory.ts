import { readdir, readFile } from 'node:fs/promises';

import { CoreError } from '../errors/core-error.js';
import {
  assertNamespace,
  createMigration,
  sortMigrations,
  type MigrationSet,
} from './migration.js';

const FILE = /^(\d{4}_[A-Za-z0-9_-]+)\.sql$/;

/**
 * A {@link MigrationSet} reading `NNNN_name.sql` files from a directory, in number order. The
 * directory is read on every `load()`, so it is usually given relative to the calling module:
 * `new URL('../../sql/migrations/', import.meta.url)`.
 *
 * @throws {CoreError} `INVALID_ARGUMENT` (from `load()`) for an unreadable directory, a `.sql`
 *   file whose name is not `NNNN_name.sql`, or two files with the same number.
 */
export function loadMigrationsFromDirectory(namespace: string, dirUrl: URL): MigrationSet {
  assertNamespace(namespace);
  return {
    namespace,
    async load() {
      let names: string[];
      try {
        names = await readdir(dirUrl);
      } catch (cause) {
        throw new CoreError(
          'INVALID_ARGUMENT',
          `migrations of ${namespace}: cannot read directory ${dirUrl.href}`,
          { cause },
        );
      }
      const migrations = await Promise.all(
        names
          .filter((name) => name.endsWith('.sql'))
          .map(async (name) => {
            const match = FILE.exec(name);
            if (match?.[1] === undefined) {
              throw new CoreError(
                'INVALID_ARGUMENT',
                `migrations of ${namespace}: file ${JSON.stringify(name)} in ${dirUrl.href} is not named NNNN_name.sql`,
              );
            }
            return createMigration(match[1], await readFile(new URL(name, dirUrl), 'utf8'));
          }),
      );
      return sortMigrations(namespace, migrations);
    },
  };
}
