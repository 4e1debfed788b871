import { redactSecrets } from '../logging/redact.js';
import { CoreError } from '../errors/core-error.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import { importOptional } from './optional-module.js';
import { pgClient, type PgPoolLike } from './pg-client.js';
import { pgliteClient, type PGliteLike } from './pglite-client.js';
import type { SqlClient } from './sql-client.js';

/** Options for {@link connectDatabase}. */
export interface ConnectDatabaseOptions {
  /**
   * A `postgres://` URL, or `pglite://<dir>` / `pglite://memory` for the embedded engine.
   * @defaultValue `process.env.DATABASE_URL`
   */
  url?: string | undefined;
  /**
   * Maximum pooled connections for a server URL.
   * @defaultValue 10
   */
  maxConnections?: number | undefined;
  /**
   * Told about idle connections the server closed (the pool replaces them).
   * @defaultValue silence
   */
  logger?: Logger | undefined;
}

/**
 * Opens a {@link SqlClient} from a URL, loading the optional driver (`pg` or
 * `@electric-sql/pglite`) on demand. The client owns the pool or database it opened.
 *
 * @throws {CoreError} `INVALID_ARGUMENT` without a URL or when the driver is not installed.
 */
export async function connectDatabase(options: ConnectDatabaseOptions = {}): Promise<SqlClient> {
  const url = options.url ?? process.env.DATABASE_URL;
  if (url === undefined || url === '') {
    throw new CoreError(
      'INVALID_ARGUMENT',
      'connectDatabase: no url given and DATABASE_URL is not set',
    );
  }
  if (url.startsWith('pglite://')) {
    const location = url.slice('pglite://'.length);
    const { PGlite } = (await importOptional('@electric-sql/pglite', 'connectDatabase')) as {
      PGlite: { create(dataDir?: string): Promise<PGliteLike> };
    };
    const db = await PGlite.create(location === '' || location === 'memory' ? undefined : location);
    return pgliteClient(db, { ownsDatabase: true });
  }
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `connectDatabase: expected a postgres:// or pglite:// URL, got ${JSON.stringify(redactUrl(url))}`,
    );
  }
  const pg = (await importOptional('pg', 'connectDatabase')) as {
    default: {
      Pool: new (config: object) => PgPoolLike & {
        on(event: 'error', listener: (error: Error) => void): unknown;
      };
    };
  };
  const pool = new pg.default.Pool({ connectionString: url, max: options.maxConnections ?? 10 });
  // An idle connection the server closed (restart, pg_terminate_backend) emits 'error' on the
  // pool; without a listener that would crash the process. The pool replaces the connection.
  const logger = options.logger ?? silentLogger;
  pool.on('error', (error) => {
    logger.warn({ err: error }, 'idle PostgreSQL connection closed; the pool replaces it');
  });
  return pgClient(pool, { ownsPool: true, target: connectionTarget(url), logger });
}

/** `host:port/database` of a connection URL: where it goes, without credentials. */
function connectionTarget(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * Hides the password of a connection URL for messages and logs (an unparseable one goes through
 * {@link redactSecrets}, which masks `user:password@` in any text).
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return redactSecrets(url);
  }
}
