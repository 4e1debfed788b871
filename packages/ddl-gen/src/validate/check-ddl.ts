import type { SqlClient } from '@fraiseql/core';
import { DdlGenError } from '../errors.js';
import { issueAt, type DdlValidation } from './ddl-issue.js';
import { statementSpans } from './statement-spans.js';
import { statementKinds, validateDdl } from './validate-ddl.js';

/** Options of {@link checkDdl}. */
export interface CheckDdlOptions {
  /** Cancels before the script is sent. */
  readonly signal?: AbortSignal | undefined;
}

class Rollback extends Error {
  constructor() {
    super('rollback');
    this.name = 'Rollback';
  }
}

interface DatabaseErrorLike {
  message?: string;
  code?: string;
  position?: string | number;
}

/**
 * Applies a script inside a transaction on `db` and rolls it back: PostgreSQL checks everything
 * (names, types, function bodies, permissions) and nothing is left behind. The script must not
 * manage transactions itself.
 *
 * @throws {DdlGenError} `INVALID_ARGUMENT` when the script contains BEGIN/COMMIT/ROLLBACK or
 *   `signal` is aborted.
 */
export async function checkDdl(
  db: SqlClient,
  sql: string,
  options: CheckDdlOptions = {},
): Promise<DdlValidation> {
  const parsed = await validateDdl(sql);
  if (!parsed.valid) return parsed;
  if ((await statementKinds(sql)).includes('TransactionStmt')) {
    throw new DdlGenError(
      'INVALID_ARGUMENT',
      'checkDdl: the script manages transactions (BEGIN/COMMIT/ROLLBACK) and cannot be checked in a rolled-back transaction',
    );
  }
  if (options.signal?.aborted === true) {
    throw new DdlGenError('INVALID_ARGUMENT', 'checkDdl: aborted', {
      cause: options.signal.reason,
    });
  }
  const spans = statementSpans(sql);
  let failed: { index: number; error: unknown } | undefined;
  try {
    await db.transaction(async (tx) => {
      // One statement at a time, so a failure names its statement even without a position.
      for (const [index, span] of spans.entries()) {
        try {
          await tx.exec(sql.slice(span.start, span.end));
        } catch (error) {
          failed = { index, error };
          throw error;
        }
      }
      throw new Rollback();
    });
  } catch (error) {
    if (error instanceof Rollback) return parsed;
    if (failed === undefined) throw error;
  }
  if (failed === undefined) return parsed;
  const failure = failed.error as DatabaseErrorLike;
  const start = spans[failed.index]?.start ?? 0;
  const position = failure.position === undefined ? start : start + Number(failure.position) - 1;
  return {
    valid: false,
    statements: spans.length,
    issue: issueAt(sql, position, failure.message ?? String(failed.error), failure.code),
  };
}
