import { quoteIdent, type SqlClient } from '../db/sql-client.js';
import { CoreError } from '../errors/core-error.js';
import { assertCaptureMigrated, resolveCaptureTarget } from './capture-target.js';

/** Options for {@link installCapture}. */
export interface CaptureOptions {
  /** The table to capture: `tb_order` (found on the search path) or `sales.tb_order`. */
  readonly table: string;
  /** Entity type written to `object_type` and carried as `event.entityType` (`Order`). */
  readonly entityType: string;
  /**
   * The column whose value becomes `object_id`; it must be unique (primary key or unique index).
   * @defaultValue the table's primary key, when it has exactly one column
   */
  readonly idColumn?: string | undefined;
  /**
   * Column holding the tenant. Without it the tenant is taken from the transaction's
   * `fraiseql.tenant_id` setting, when set.
   * @defaultValue none
   */
  readonly tenantColumn?: string | undefined;
  /**
   * Column holding the acting user (`fk_contact`). Without it the user is taken from the
   * transaction's `fraiseql.user_id` setting, when set.
   * @defaultValue none
   */
  readonly userColumn?: string | undefined;
  /**
   * Store the whole previous row of an UPDATE in `object_data_before`. Otherwise only the
   * previous values of the changed fields are stored, which is enough to rebuild the previous
   * row (the other fields are equal to the new row).
   * @defaultValue false
   */
  readonly preImage?: boolean | undefined;
  /**
   * Wake listening readers with a `NOTIFY` when a write commits. PostgreSQL cannot `PREPARE
   * TRANSACTION` (two-phase commit) a transaction that sent a NOTIFY, so a table written inside
   * prepared transactions must be captured with `notify: false`; readers then find its changes
   * with their poll (`pollInterval` of the change-log source), not at once.
   * @defaultValue true
   */
  readonly notify?: boolean | undefined;
  /**
   * Check the table and columns and return the statements, but change nothing.
   * @defaultValue false
   */
  readonly dryRun?: boolean | undefined;
}

/** What {@link installCapture} or {@link uninstallCapture} did (or, with `dryRun`, would do). */
export interface CaptureChange {
  /** The table, `schema.name`. */
  readonly table: string;
  /** The statements run (or, with `dryRun`, that would run), in order. */
  readonly statements: readonly string[];
  /** False for a dry run. */
  readonly applied: boolean;
}

/** The names of the three statement-level triggers {@link installCapture} creates. */
export const CAPTURE_TRIGGERS = Object.freeze({
  insert: 'fraiseql_capture_insert',
  update: 'fraiseql_capture_update',
  delete: 'fraiseql_capture_delete',
});

/**
 * Makes every INSERT, UPDATE and DELETE on a table write change-log rows in the writer's
 * transaction: it generates the table's own capture function (`core.fn_capture_t_<oid>()`,
 * static SQL over the transition tables with the table's columns and these options built in)
 * and attaches it as three statement-level triggers, so each statement writes its rows with one
 * set-based INSERT. UPDATE rows carry `updated_fields`; rows an UPDATE did not really change are
 * skipped. The function depends on the table's columns: it is generated again on `ALTER TABLE`
 * when the migrations ran as a superuser (an event trigger), otherwise call
 * {@link refreshCapture} after changing them. Installing again replaces the function and
 * triggers (with the new options), so it is idempotent. Run {@link migrate} first.
 *
 * @throws {CoreError} `CAPTURE_TARGET_MISSING` naming the missing table, column or capture
 *   migration; `INVALID_ARGUMENT` for an empty entity type, a non-unique id column or the change
 *   log itself.
 * @example
 * await installCapture(db, { table: 'tb_order', entityType: 'Order', idColumn: 'id', tenantColumn: 'tenant_id' });
 */
export async function installCapture(
  db: SqlClient,
  options: CaptureOptions,
): Promise<CaptureChange> {
  if (options.entityType.trim() === '') {
    throw new CoreError('INVALID_ARGUMENT', 'installCapture: entityType must not be empty');
  }
  return db.transaction(async (tx) => {
    const target = await resolveCaptureTarget(tx, 'installCapture', options.table);
    if (target.qualifiedName === 'core.tb_entity_change_log') {
      throw new CoreError(
        'INVALID_ARGUMENT',
        'installCapture: the change log core.tb_entity_change_log cannot capture itself',
      );
    }
    await assertCaptureMigrated(tx, 'installCapture');
    const idColumn = options.idColumn ?? target.primaryKey;
    if (idColumn === undefined) {
      throw new CoreError(
        'INVALID_ARGUMENT',
        `installCapture: ${target.qualifiedName} has no single-column primary key; name its unique id column with idColumn`,
        { details: { table: target.qualifiedName, option: 'idColumn' } },
      );
    }
    const columns: [string, string | undefined][] = [
      ['idColumn', idColumn],
      ['tenantColumn', options.tenantColumn],
      ['userColumn', options.userColumn],
    ];
    for (const [option, column] of columns) {
      if (column !== undefined && !target.columns.has(column)) {
        throw new CoreError(
          'CAPTURE_TARGET_MISSING',
          `installCapture: column ${JSON.stringify(column)} (${option}) does not exist on table ${target.qualifiedName}`,
          { details: { table: target.qualifiedName, column, option } },
        );
      }
    }
    if (!target.uniqueColumns.has(idColumn)) {
      throw new CoreError(
        'INVALID_ARGUMENT',
        `installCapture: idColumn ${JSON.stringify(idColumn)} of ${target.qualifiedName} is not unique; it needs a primary key or a unique index of its own, because UPDATE captures pair old and new rows on it`,
        { details: { table: target.qualifiedName, column: idColumn } },
      );
    }

    const generated = await tx.query<{ statements: string[] }>(
      `SELECT core.fn_capture_statements($1::regclass, $2, $3, $4, $5, $6, $7) AS statements`,
      [
        quoteIdent(target.schema) + '.' + quoteIdent(target.name),
        options.entityType,
        idColumn,
        options.tenantColumn ?? '',
        options.userColumn ?? '',
        options.preImage === true,
        options.notify !== false,
      ],
    );
    const statements = generated.rows[0]?.statements ?? [];
    const applied = options.dryRun !== true;
    if (applied) await tx.exec(statements.join(';\n'));
    return { table: target.qualifiedName, statements, applied };
  });
}

/**
 * Removes the capture triggers {@link installCapture} created; a table without them is left as
 * is. With `dryRun` it only returns the statements.
 *
 * @throws {CoreError} `CAPTURE_TARGET_MISSING` when the table does not exist.
 */
export async function uninstallCapture(
  db: SqlClient,
  table: string,
  options: { readonly dryRun?: boolean | undefined } = {},
): Promise<CaptureChange> {
  return db.transaction(async (tx) => {
    const target = await resolveCaptureTarget(tx, 'uninstallCapture', table);
    const quoted = quoteIdent(target.schema) + '.' + quoteIdent(target.name);
    const statements = Object.values(CAPTURE_TRIGGERS).map(
      (trigger) => `DROP TRIGGER IF EXISTS ${trigger} ON ${quoted}`,
    );
    const applied = options.dryRun !== true;
    if (applied) await tx.exec(statements.join(';\n'));
    return { table: target.qualifiedName, statements, applied };
  });
}
