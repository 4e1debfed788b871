import { quoteIdent, type SqlClient } from '../db/sql-client.js';
import { CoreError } from '../errors/core-error.js';
import { assertCaptureMigrated, resolveCaptureTarget } from './capture-target.js';
import type { CaptureChange } from './install-capture.js';
import { listCaptures } from './list-captures.js';

/** Options for {@link refreshCapture}. */
export interface RefreshCaptureOptions {
  /**
   * The tables to refresh (`tb_order` or `sales.tb_order`); each must be captured.
   * @defaultValue every captured table
   */
  readonly tables?: readonly string[] | undefined;
  /**
   * Return the statements but change nothing.
   * @defaultValue false
   */
  readonly dryRun?: boolean | undefined;
}

/**
 * Generates the capture function of captured tables again from their current columns, with the
 * options they were installed with (a renamed id, tenant or user column is followed). Needed
 * after `ALTER TABLE` on a captured table when no event trigger does it (the migrations ran as
 * a non-superuser, or on PGlite); harmless otherwise. A table still captured by the generic
 * `core.fn_capture_change()` of earlier versions moves to its own function. Without `tables`
 * it refreshes every captured table and also drops the generated functions no trigger uses any
 * more (left behind by dropped tables and removed captures), reported as one more change whose
 * `table` is empty. One transaction for all of it.
 *
 * @throws {CoreError} `CAPTURE_TARGET_MISSING` for a table that does not exist or is not
 *   captured, or when the migrations are missing; `INVALID_ARGUMENT` when a column the capture
 *   needs was dropped (install it again with another column, or remove it).
 * @example
 * const changes = await refreshCapture(db, { tables: ['tb_order'] });
 */
export async function refreshCapture(
  db: SqlClient,
  options: RefreshCaptureOptions = {},
): Promise<CaptureChange[]> {
  return db.transaction(async (tx) => {
    await assertCaptureMigrated(tx, 'refreshCapture');
    const all = options.tables === undefined;
    const names = options.tables ?? (await listCaptures(tx)).map((entry) => entry.table);
    const applied = options.dryRun !== true;
    const changes: CaptureChange[] = [];
    for (const name of names) {
      const target = await resolveCaptureTarget(tx, 'refreshCapture', name);
      const quoted = quoteIdent(target.schema) + '.' + quoteIdent(target.name);
      const generated = await tx
        .query<{ statements: string[] }>(
          `SELECT core.fn_capture_refresh_statements($1::regclass) AS statements`,
          [quoted],
        )
        .catch((error: unknown) => {
          // Raised by the generator: a column the capture needs was dropped (2BP01), or the
          // options of a generic capture name a column that is gone (42703).
          const code = (error as { code?: unknown }).code;
          if (code === '2BP01' || code === '42703') {
            throw new CoreError(
              code === '2BP01' ? 'INVALID_ARGUMENT' : 'CAPTURE_TARGET_MISSING',
              `refreshCapture: ${errorText(error)}`,
              { cause: error, details: { table: target.qualifiedName } },
            );
          }
          throw error;
        });
      const statements = generated.rows[0]?.statements ?? [];
      if (statements.length === 0) {
        throw new CoreError(
          'CAPTURE_TARGET_MISSING',
          `refreshCapture: ${target.qualifiedName} is not captured; capture it with installCapture first`,
          { details: { table: target.qualifiedName } },
        );
      }
      if (applied) await tx.exec(statements.join(';\n'));
      changes.push({ table: target.qualifiedName, statements, applied });
    }
    if (all) {
      const orphans = await tx.query<{ statement: string }>(
        `SELECT format('DROP FUNCTION IF EXISTS core.%I()', p.proname) AS statement
           FROM pg_proc p
          WHERE p.pronamespace = 'core'::regnamespace AND p.proname LIKE 'fn\\_capture\\_t\\_%'
            AND p.pronargs = 0
            AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgfoid = p.oid)
          ORDER BY p.proname`,
      );
      const statements = orphans.rows.map((row) => row.statement);
      if (statements.length > 0) {
        if (applied) await tx.exec(statements.join(';\n'));
        changes.push({ table: '', statements, applied });
      }
    }
    return changes;
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
