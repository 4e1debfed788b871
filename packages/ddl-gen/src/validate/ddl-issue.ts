import { lineColumn, statementAt } from './statement-spans.js';

/** Where and why a script was rejected. */
export interface DdlIssue {
  readonly message: string;
  /** 0-based offset into the script. */
  readonly position: number;
  /** 1-based line of `position`. */
  readonly line: number;
  /** 1-based column of `position`. */
  readonly column: number;
  /** 0-based index of the statement that failed. */
  readonly statementIndex: number;
  /** Start of that statement's text (at most 200 characters). */
  readonly statement: string;
  /** SQLSTATE when PostgreSQL reported it. */
  readonly sqlState?: string;
}

/** The outcome of `validateDdl` / `checkDdl`. */
export interface DdlValidation {
  readonly valid: boolean;
  /** Statements found in the script. */
  readonly statements: number;
  readonly issue?: DdlIssue;
}

/** Builds an issue at `position`, naming its statement. */
export function issueAt(
  sql: string,
  position: number,
  message: string,
  sqlState?: string,
): DdlIssue {
  const clamped = Math.min(Math.max(position, 0), sql.length);
  const statement = statementAt(sql, clamped);
  const text = statement.text.length > 200 ? `${statement.text.slice(0, 197)}...` : statement.text;
  return {
    message,
    position: clamped,
    ...lineColumn(sql, clamped),
    statementIndex: statement.index,
    statement: text,
    ...(sqlState === undefined ? {} : { sqlState }),
  };
}
