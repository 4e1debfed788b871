import {
  installCapture,
  isCoreError,
  listCaptures,
  refreshCapture,
  uninstallCapture,
  type CaptureChange,
  type SqlClient,
} from '@fraiseql/core';
import type { Command, CommandContext } from '../command.js';
import { openDatabase } from '../context/open-database.js';
import { CliError } from '../errors.js';
import { formatTable } from '../output/format-table.js';
import { print } from '../output/print.js';
import { DATABASE_OPTION } from './common-options.js';

const TABLES = {
  name: 'table',
  variadic: true,
  description: 'tables by name (`tb_order`, or `schema.tb_order`)',
};
const DRY_RUN = {
  'dry-run': { type: 'boolean', description: 'print the SQL it would run, change nothing' },
} as const;

/**
 * The entity type a table's events carry when `--entity` is not given: the table name without
 * its schema and `tb_`/`t_` prefix, in PascalCase (`sales.tb_order_line` → `OrderLine`).
 */
export function entityTypeOf(table: string): string {
  const name = table.slice(table.lastIndexOf('.') + 1).replace(/^(tb|t)_/, '');
  return name
    .split(/[_\s-]+/)
    .filter((part) => part !== '')
    .map((part) => `${(part[0] ?? '').toUpperCase()}${part.slice(1)}`)
    .join('');
}

async function withDb<T>(context: CommandContext, use: (db: SqlClient) => Promise<T>): Promise<T> {
  const db = await openDatabase(context);
  try {
    return await use(db);
  } finally {
    await db.close();
  }
}

function describeChanges(changes: readonly CaptureChange[], verb: string): string {
  return changes
    .map((change) => {
      // refreshCapture reports the unused generated functions it drops with an empty table.
      const what = change.table === '' ? 'unused capture functions' : change.table;
      if (!change.applied) {
        return `-- ${what} (dry run: nothing changed)\n${change.statements.map((s) => `${s};`).join('\n')}\n`;
      }
      return change.table === ''
        ? `dropped ${String(change.statements.length)} unused capture function(s)\n`
        : `${verb} ${change.table}\n`;
    })
    .join('');
}

/** `fraiseql capture add <table…>`: installs the capture triggers. */
export const captureAddCommand: Command = {
  path: ['capture', 'add'],
  summary: 'capture the INSERTs, UPDATEs and DELETEs of tables into the change log',
  details:
    'Installs three statement-level triggers per table (idempotent: adding again replaces them ' +
    'with the new options). Run `fraiseql migrate` first. The entity type defaults to the table ' +
    'name without its tb_ prefix in PascalCase (tb_order_line → OrderLine), the id column to ' +
    'the primary key.',
  args: [TABLES],
  options: {
    ...DATABASE_OPTION,
    entity: {
      type: 'string',
      value: 'type',
      description: 'entity type of the events (only with one table)',
    },
    'id-column': {
      type: 'string',
      value: 'column',
      description: 'unique column whose value is the entity id (default: the primary key)',
    },
    'tenant-column': { type: 'string', value: 'column', description: 'column holding the tenant' },
    'user-column': {
      type: 'string',
      value: 'column',
      description: 'column holding the acting user',
    },
    'pre-image': {
      type: 'boolean',
      description: 'store the whole previous row of an UPDATE, not only the changed fields',
    },
    ...DRY_RUN,
  },
  examples: [
    'fraiseql capture add tb_order',
    'fraiseql capture add tb_order tb_customer --dry-run',
    'fraiseql capture add sales.tb_line --entity OrderLine --tenant-column tenant_id',
  ],
  async run(context) {
    const { values, positionals } = context;
    if (typeof values.entity === 'string' && positionals.length > 1) {
      throw new CliError(
        'USAGE',
        `--entity names the entity type of one table, got ${String(positionals.length)} tables; add them one at a time or drop --entity to derive each from its name`,
      );
    }
    const text = (name: string): string | undefined => {
      const value = values[name];
      return typeof value === 'string' ? value : undefined;
    };
    const changes = await withDb(context, async (db) => {
      const done: CaptureChange[] = [];
      for (const table of positionals) {
        done.push(
          await installCapture(db, {
            table,
            entityType: text('entity') ?? entityTypeOf(table),
            idColumn: text('id-column'),
            tenantColumn: text('tenant-column'),
            userColumn: text('user-column'),
            preImage: values['pre-image'] === true,
            dryRun: values['dry-run'] === true,
          }).catch((error: unknown) => {
            if (isCoreError(error, 'INVALID_ARGUMENT') && error.details.option === 'idColumn') {
              throw new CliError(
                'FAILED',
                `${String(error.details.table)} has no single-column primary key: name its unique id column with --id-column <column>`,
                { cause: error },
              );
            }
            throw error;
          }),
        );
      }
      return done;
    });
    print(context, changes, () => describeChanges(changes, 'capturing'));
    return 0;
  },
};

/** `fraiseql capture remove <table…>`: drops the capture triggers. */
export const captureRemoveCommand: Command = {
  path: ['capture', 'remove'],
  summary: 'stop capturing tables (drops their capture triggers; the change log is kept)',
  args: [TABLES],
  options: { ...DATABASE_OPTION, ...DRY_RUN },
  examples: ['fraiseql capture remove tb_order', 'fraiseql capture remove tb_order --dry-run'],
  async run(context) {
    const changes = await withDb(context, async (db) => {
      const done: CaptureChange[] = [];
      for (const table of context.positionals) {
        done.push(
          await uninstallCapture(db, table, { dryRun: context.values['dry-run'] === true }),
        );
      }
      return done;
    });
    print(context, changes, () => describeChanges(changes, 'no longer capturing'));
    return 0;
  },
};

/** `fraiseql capture refresh [table…]`: generates capture functions again from the columns. */
export const captureRefreshCommand: Command = {
  path: ['capture', 'refresh'],
  summary: "generate captured tables' capture functions again after their columns changed",
  details:
    'Each captured table has a capture function generated from its columns. On PostgreSQL an ' +
    'event trigger regenerates it on ALTER TABLE when `fraiseql migrate` ran as a superuser; ' +
    'otherwise run this after adding, dropping or renaming columns of a captured table. Without ' +
    'tables it refreshes every captured table and drops generated functions no table uses.',
  args: [{ ...TABLES, required: false }],
  options: { ...DATABASE_OPTION, ...DRY_RUN },
  examples: [
    'fraiseql capture refresh',
    'fraiseql capture refresh tb_order',
    'fraiseql capture refresh sales.tb_line --dry-run',
  ],
  async run(context) {
    const tables = context.positionals.length === 0 ? undefined : context.positionals;
    const changes = await withDb(context, (db) =>
      refreshCapture(db, { tables, dryRun: context.values['dry-run'] === true }),
    );
    print(context, changes, () =>
      changes.length === 0
        ? 'no table is captured; add one with `fraiseql capture add <table>`\n'
        : describeChanges(changes, 'refreshed'),
    );
    return 0;
  },
};

/** `fraiseql capture list`: the captured tables and their options. */
export const captureListCommand: Command = {
  path: ['capture', 'list'],
  summary: 'tables whose changes are captured, with their entity type and columns',
  options: { ...DATABASE_OPTION },
  examples: ['fraiseql capture list', 'fraiseql capture list --json'],
  async run(context) {
    const captured = await withDb(context, (db) => listCaptures(db));
    print(context, captured, () =>
      captured.length === 0
        ? 'no table is captured; add one with `fraiseql capture add <table>`\n'
        : formatTable(
            ['table', 'entity', 'id', 'tenant', 'user', 'pre-image', 'operations'],
            captured.map((entry) => [
              entry.table,
              entry.entityType,
              entry.idColumn,
              entry.tenantColumn ?? '',
              entry.userColumn ?? '',
              entry.preImage ? 'yes' : 'no',
              entry.operations.join(' '),
            ]),
          ),
    );
    return 0;
  },
};

/** The `capture` group, in help order. */
export const captureCommands: readonly Command[] = [
  captureAddCommand,
  captureRemoveCommand,
  captureRefreshCommand,
  captureListCommand,
];
