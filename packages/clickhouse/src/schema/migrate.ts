import { silentLogger, type Logger } from '@fraiseql/core';
import type { ClickHouseConnection } from '../connection/clickhouse-connection.js';
import { eventMigrations, type EventSchemaOptions } from './event-migrations.js';
import type { EventTables } from './event-tables.js';
import type { ServerCapabilities } from './server-capabilities.js';

/** Options of {@link migrateEventSchema}. */
export interface MigrateOptions extends EventSchemaOptions {
  readonly logger?: Logger | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What {@link migrateEventSchema} did. */
export interface MigrateResult {
  /** Versions applied by this call, in order (empty when the schema was current). */
  readonly applied: readonly number[];
  /** The newest version now recorded. */
  readonly version: number;
}

/**
 * Creates the database, then applies every migration not yet recorded in the migrations table,
 * in order. Each statement is idempotent (`IF NOT EXISTS`), so a run cut short is safe to
 * repeat, and several processes may migrate at once.
 */
export async function migrateEventSchema(
  connection: ClickHouseConnection,
  tables: EventTables,
  caps: ServerCapabilities,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const logger = options.logger ?? silentLogger;
  const signal = options.signal;
  await connection.command(`CREATE DATABASE IF NOT EXISTS ${tables.database}`, { signal });
  await connection.command(
    `CREATE TABLE IF NOT EXISTS ${tables.migrations} (
  version UInt32,
  name String,
  server_version String,
  applied_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree ORDER BY version`,
    { signal },
  );
  const rows = await connection.query<{ version: number | string }>(
    `SELECT DISTINCT version FROM ${tables.migrations}`,
    { signal },
  );
  const done = new Set(rows.map((row) => Number(row.version)));
  const applied: number[] = [];
  const migrations = eventMigrations(tables, caps, options);
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    for (const statement of migration.statements) {
      await connection.command(statement, { signal });
    }
    await connection.command(
      `INSERT INTO ${tables.migrations} (version, name, server_version) VALUES (${String(migration.version)}, '${migration.name}', '${caps.version.replace(/[^0-9.]/g, '')}')`,
      { signal },
    );
    applied.push(migration.version);
    logger.info(
      { version: migration.version, migration: migration.name, server: caps.version },
      'clickhouse: applied schema migration',
    );
  }
  return { applied, version: Math.max(0, ...migrations.map((m) => m.version)) };
}
