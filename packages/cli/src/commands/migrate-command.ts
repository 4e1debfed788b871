import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  coreMigrations,
  loadMigrationsFromDirectory,
  migrate,
  type MigrationSet,
} from '@fraiseql/core';
import { observerMigrations } from '@fraiseql/observers';
import type { Command } from '../command.js';
import { DATABASE_OPTION } from './common-options.js';
import { openDatabase } from '../context/open-database.js';
import { CliError } from '../errors.js';
import { print } from '../output/print.js';

/** `fraiseql migrate`: applies the packages' migrations and the project's own. */
export const migrateCommand: Command = {
  path: ['migrate'],
  summary: 'apply the change-log, observer and project migrations (--dry-run to list them)',
  options: {
    ...DATABASE_OPTION,
    'dry-run': { type: 'boolean', description: 'list what would be applied, change nothing' },
    migrations: {
      type: 'string',
      value: 'dir',
      description:
        'folder of NNNN_name.sql project migrations (default: ./migrations when present)',
    },
  },
  examples: [
    'DATABASE_URL=postgres://localhost/app fraiseql migrate',
    'fraiseql migrate --database postgres://localhost/app --dry-run --json',
  ],
  async run(context) {
    const sets: MigrationSet[] = [coreMigrations, observerMigrations];
    const flag = context.values.migrations;
    const dir = resolve(context.cwd, typeof flag === 'string' ? flag : 'migrations');
    if (typeof flag === 'string' && !existsSync(dir)) {
      throw new CliError('CONFIG_MISSING', `migrations folder ${dir} does not exist`);
    }
    if (existsSync(dir)) sets.push(loadMigrationsFromDirectory('app', pathToFileURL(`${dir}/`)));
    const db = await openDatabase(context);
    try {
      const report = await migrate(db, {
        sets,
        dryRun: context.values['dry-run'] === true,
        signal: context.signal,
      });
      print(context, report, () =>
        report.namespaces
          .map((ns) => {
            const listed = report.dryRun ? ns.pending : ns.applied;
            const verb = report.dryRun ? 'would apply' : 'applied';
            const lines = listed.map((id) => `  ${verb} ${id}`);
            return `${ns.namespace}: ${String(listed.length)} ${verb}, ${String(ns.skipped.length)} already applied\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}`;
          })
          .join(''),
      );
      return 0;
    } finally {
      await db.close();
    }
  },
};
