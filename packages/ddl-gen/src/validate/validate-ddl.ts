import { parse } from 'libpg-query';
import { issueAt, type DdlValidation } from './ddl-issue.js';
import { statementSpans } from './statement-spans.js';

interface ParseErrorLike {
  message: string;
  sqlDetails?: { cursorPosition?: number };
}

interface ParseResult {
  stmts?: { stmt: Record<string, unknown> }[];
}

/**
 * Parses a script with PostgreSQL's own parser (libpg-query, WebAssembly) without a database.
 * Reports the first syntax error with its offset, line, column and statement. Function bodies
 * (PL/pgSQL) are checked by PostgreSQL when the function is created: use `checkDdl` for that.
 *
 * @example
 * const result = await validateDdl(generateTvDdl(plan).sql);
 * if (!result.valid) throw new Error(`${result.issue?.message} at line ${result.issue?.line}`);
 */
export async function validateDdl(sql: string): Promise<DdlValidation> {
  if (sql.trim() === '') return { valid: true, statements: 0 };
  try {
    const result = (await parse(sql)) as ParseResult;
    return { valid: true, statements: result.stmts?.length ?? 0 };
  } catch (error) {
    const failure = error as ParseErrorLike;
    const position = failure.sqlDetails?.cursorPosition ?? 0;
    return {
      valid: false,
      statements: statementSpans(sql).length,
      issue: issueAt(sql, position, failure.message, '42601'),
    };
  }
}

/** Names of the top-level statement kinds of a script (`CreateStmt`, `TransactionStmt`, ...). */
export async function statementKinds(sql: string): Promise<string[]> {
  const result = (await parse(sql)) as ParseResult;
  return (result.stmts ?? []).map((entry) => Object.keys(entry.stmt)[0] ?? 'unknown');
}
