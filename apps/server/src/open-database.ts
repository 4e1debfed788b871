import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgClient, pgliteClient, redactUrl, type SqlClient } from '@fraiseql/core';
import pg from 'pg';
import type { Logger } from 'pino';

/** Opens the configured PostgreSQL, or the embedded PGlite under `dataDir` when no URL is set. */
export async function openDatabase(
  databaseUrl: string | undefined,
  dataDir: string,
  logger: Logger,
): Promise<SqlClient> {
  if (databaseUrl !== undefined) {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
    pool.on('error', (error) => {
      logger.warn({ err: error }, 'idle PostgreSQL connection failed; the pool replaces it');
    });
    await pool.query('SELECT 1');
    logger.info({ database: redactUrl(databaseUrl) }, 'connected to PostgreSQL');
    return pgClient(pool, { ownsPool: true });
  }
  const directory = resolve(join(dataDir, 'pgdata'));
  await mkdir(directory, { recursive: true });
  const db = await PGlite.create(directory);
  logger.info({ dataDir: directory }, 'embedded PostgreSQL (PGlite) ready');
  return pgliteClient(db, { ownsDatabase: true });
}
