import { randomBytes } from 'node:crypto';
import type { SqlClient } from '@fraiseql/core';
import type { PgColumn } from '../arrow/pg-type-map.js';
import { FlightError } from '../errors.js';
import type { GuardedSql } from './sql-guard.js';

/** What a statement returns and takes, from PostgreSQL itself. */
export interface StatementShape {
  /** Result columns in order. */
  readonly columns: readonly PgColumn[];
  /** Types of the caller's `$1..$n` parameters. */
  readonly parameters: readonly PgColumn[];
}

const PARAMETERS_SQL = `
SELECT format_type(p.oid, NULL) AS type_sql, t.typname AS type_name, t.typcategory AS category
FROM pg_prepared_statements s,
     unnest(s.parameter_types::oid[]) WITH ORDINALITY AS p(oid, n)
JOIN pg_type t ON t.oid = p.oid
WHERE s.name = $1
ORDER BY p.n`;

const COLUMNS_SQL = `
SELECT a.attname AS name, t.typname AS type_name, a.atttypmod AS typmod, t.typcategory AS category
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`;

class Rollback extends Error {}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface PgErrorLike {
  code?: unknown;
  message?: unknown;
}

/** A PostgreSQL error about the statement, as the caller's INVALID_ARGUMENT. */
export function statementError(error: unknown): FlightError {
  const pg = error as PgErrorLike;
  if (pg.code === '42501') {
    // insufficient_privilege: the statement's database role may not read what it names.
    return new FlightError('PERMISSION_DENIED', `sql: ${String(pg.message)}`, { cause: error });
  }
  if (pg.code === '57014') {
    return new FlightError(
      'DEADLINE_EXCEEDED',
      'sql: the statement ran longer than the statement timeout',
      { cause: error },
    );
  }
  if (typeof pg.code === 'string' && /^(42|22|0A|21)/.test(pg.code)) {
    const hint = pg.code === '42701' ? '; give each result column a distinct name (AS …)' : '';
    return new FlightError('INVALID_ARGUMENT', `sql: ${String(pg.message)}${hint}`, {
      cause: error,
    });
  }
  if (error instanceof FlightError) return error;
  return new FlightError('INTERNAL', 'sql: describing the statement failed', { cause: error });
}

/** Replaces each `$n` with `(NULL::type)`, so the statement can be described without values. */
function withNullParameters(guarded: GuardedSql, types: readonly string[]): string {
  const bytes = encoder.encode(guarded.sql);
  const refs = [...guarded.parameterRefs].sort((a, b) => a.location - b.location);
  let out = '';
  let cursor = 0;
  for (const ref of refs) {
    let end = ref.location + 1;
    while (end < bytes.byteLength && (bytes[end] ?? 0) >= 0x30 && (bytes[end] ?? 0) <= 0x39) end++;
    out += decoder.decode(bytes.subarray(cursor, ref.location));
    out += `(NULL::${types[ref.number - 1] ?? 'text'})`;
    cursor = end;
  }
  return out + decoder.decode(bytes.subarray(cursor));
}

/**
 * Asks PostgreSQL for a guarded statement's result columns (with precision and scale) and
 * parameter types, without running it: the statement is prepared (parameter types) and
 * defined as a temporary view (column types) in a transaction that is rolled back.
 *
 * @throws {FlightError} `INVALID_ARGUMENT` for an unknown column, a type error, an
 *   undeterminable parameter type or duplicate result column names.
 */
export async function describeStatement(
  db: SqlClient,
  guarded: GuardedSql,
): Promise<StatementShape> {
  const name = `fraiseql_describe_${randomBytes(6).toString('hex')}`;
  let shape: StatementShape | undefined;
  try {
    await db.transaction(async (tx) => {
      let parameterTypes: { type_sql: string; type_name: string; category: string }[] = [];
      if (guarded.parameterRefs.length > 0) {
        await tx.exec(`PREPARE ${name} AS ${guarded.sql}`);
        try {
          parameterTypes = (
            await tx.query<{ type_sql: string; type_name: string; category: string }>(
              PARAMETERS_SQL,
              [name],
            )
          ).rows;
        } finally {
          await tx.exec(`DEALLOCATE ${name}`);
        }
      }
      const body = withNullParameters(
        guarded,
        parameterTypes.map((p) => p.type_sql),
      );
      await tx.exec(`CREATE TEMP VIEW ${name} AS ${body}`);
      const { rows } = await tx.query<{
        name: string;
        type_name: string;
        typmod: number;
        category: string;
      }>(COLUMNS_SQL, [`pg_temp.${name}`]);
      shape = {
        columns: rows.map((row) => ({
          name: row.name,
          typeName: row.type_name,
          typmod: row.typmod,
          category: row.category,
        })),
        parameters: parameterTypes.slice(0, guarded.parameterCount).map((p, i) => ({
          name: `$${String(i + 1)}`,
          typeName: p.type_name,
          typmod: -1,
          category: p.category,
        })),
      };
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw statementError(error);
  }
  if (shape === undefined) throw new FlightError('INTERNAL', 'sql: describe produced nothing');
  return shape;
}
