import { connectDatabase, redactUrl, type SqlClient } from '@fraiseql/core';
import type { CommandContext } from '../command.js';
import { CliError } from '../errors.js';

/** The database URL from `--database` or `DATABASE_URL`. */
export function databaseUrl(context: CommandContext): string | undefined {
  const flag = context.values.database;
  const url = typeof flag === 'string' ? flag : context.env.DATABASE_URL;
  return url === undefined || url === '' ? undefined : url;
}

/**
 * Connects to the database of `--database` or `DATABASE_URL` and checks it answers.
 *
 * @throws {CliError} `CONFIG_MISSING` without a URL, `SERVICE_UNREACHABLE` when the server does
 *   not answer (the message names the URL without its password).
 */
export async function openDatabase(context: CommandContext): Promise<SqlClient> {
  const url = databaseUrl(context);
  if (url === undefined) {
    throw new CliError(
      'CONFIG_MISSING',
      'no database: pass --database postgres://user@host:5432/db (or pglite://./data) or set DATABASE_URL',
    );
  }
  let db: SqlClient;
  try {
    db = await connectDatabase({ url, maxConnections: 4 });
  } catch (cause) {
    throw new CliError(
      'CONFIG_MISSING',
      `cannot use database URL ${redactUrl(url)}: ${messageOf(cause)}`,
      {
        cause,
      },
    );
  }
  try {
    await db.query('SELECT 1');
  } catch (cause) {
    await db.close().catch(() => undefined);
    throw new CliError(
      'SERVICE_UNREACHABLE',
      `cannot reach PostgreSQL at ${redactUrl(url)}: ${messageOf(cause)}; check that the server is running and the URL (--database or DATABASE_URL) is right`,
      { cause },
    );
  }
  return db;
}

/** The message of an error, or its string form. */
export function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(messageOf).join('; ');
  }
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return String(error);
}
