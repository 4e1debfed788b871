import { parseDuration, redactUrl } from '@fraiseql/core';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65_535);
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

/** Settings whose values are secrets: never echoed in errors. */
const SECRET_SETTINGS = new Set([
  'FRAISEQL_ADMIN_TOKEN',
  'FRAISEQL_ADMIN_READONLY_TOKEN',
  'ELASTICSEARCH_API_KEY',
]);

/** The reference server's settings, read from the environment. */
export const serverSettingsSchema = z.object({
  /** PostgreSQL URL; unset = embedded PGlite under `dataDir`. */
  DATABASE_URL: z.string().min(1).optional(),
  /** Observers config file (YAML, TOML or JSON). @defaultValue `fraiseql.config.yaml` when it exists, else the demo observers */
  FRAISEQL_CONFIG: z.string().min(1).optional(),
  /** Redis for dedup and cache actions. @defaultValue none: in-memory dedup */
  REDIS_URL: z.string().min(1).optional(),
  /** Job-queue workers run by this process (async actions). @defaultValue 1 with `REDIS_URL`, else 0 */
  FRAISEQL_WORKERS: z.coerce.number().int().min(0).max(64).optional(),
  /** Prefix of the job queue's Redis keys. @defaultValue `fraiseql` */
  FRAISEQL_QUEUE_PREFIX: z.string().min(1).default('fraiseql'),
  /** NATS servers when the observers source is `nats`. */
  NATS_URL: z.string().min(1).optional(),
  /** ClickHouse server: events are loaded into it by their own change-log consumer. @defaultValue none: no ClickHouse sink */
  CLICKHOUSE_URL: z.url().optional(),
  /** ClickHouse database of the event tables (created when missing). @defaultValue `default` */
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected a plain identifier' })
    .default('default'),
  /** Elasticsearch server: event history loaded by its own change-log consumer. @defaultValue none: no Elasticsearch sink */
  ELASTICSEARCH_URL: z.url().optional(),
  /** API key for `ELASTICSEARCH_URL`. @defaultValue none */
  ELASTICSEARCH_API_KEY: z.string().min(1).optional(),
  /** Prefix of the monthly event-history indices. @defaultValue `fraiseql-events` */
  ELASTICSEARCH_INDEX_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, { error: 'expected a lower-case index name' })
    .default('fraiseql-events'),
  /** How often a sink's service is probed while running (health while no events flow). @defaultValue `5s` */
  FRAISEQL_SINK_CHECK_INTERVAL: z.string().default('5s'),
  /** Where embedded data lives. @defaultValue `.fraiseql` */
  FRAISEQL_DATA_DIR: z.string().min(1).default('.fraiseql'),
  /** HTTP bind address (health, metrics, admin). @defaultValue `127.0.0.1` */
  FRAISEQL_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  /** HTTP port; 0 picks a free one. @defaultValue 8080 */
  FRAISEQL_HTTP_PORT: port.default(8080),
  /** Serve Arrow Flight (views and the event stream). @defaultValue on */
  FRAISEQL_FLIGHT: flag.default(true),
  /** Arrow Flight bind address. @defaultValue `127.0.0.1` */
  FRAISEQL_FLIGHT_HOST: z.string().min(1).default('127.0.0.1'),
  /** Arrow Flight port; 0 picks a free one. @defaultValue 50051 */
  FRAISEQL_FLIGHT_PORT: port.default(50051),
  /** Schemas whose `va_`/`ta_`/`tv_` views Flight serves (comma-separated). @defaultValue `public` (and `demo` with the demo) */
  FRAISEQL_FLIGHT_VIEW_SCHEMAS: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*(,[A-Za-z_][A-Za-z0-9_]*)*$/, {
      error: 'expected a comma-separated list of schema names',
    })
    .optional(),
  /** `tb_` tables Flight DoPut may write (comma-separated, `tb_orders` or `sales.tb_orders`); the admin tokens may upload. @defaultValue none: DoPut refused */
  FRAISEQL_FLIGHT_INGEST_TABLES: z
    .string()
    .regex(
      /^([A-Za-z_][A-Za-z0-9_]*\.)?tb_[A-Za-z0-9_]+(,([A-Za-z_][A-Za-z0-9_]*\.)?tb_[A-Za-z0-9_]+)*$/,
      { error: 'expected a comma-separated list of tb_ tables (tb_orders or sales.tb_orders)' },
    )
    .optional(),
  /** PostgreSQL role Flight SQL statements run as (`SET LOCAL ROLE`); the server's user must be a member. @defaultValue none: the server's own role */
  FRAISEQL_FLIGHT_SQL_ROLE: z
    .string()
    .min(1)
    .max(63, { error: 'a PostgreSQL role name has at most 63 bytes' })
    .optional(),
  /** Operator token of the admin API (every admin route). @defaultValue generated into `FRAISEQL_ADMIN_TOKEN_FILE` */
  FRAISEQL_ADMIN_TOKEN: z.string().min(16).optional(),
  /** A read-only token of the admin API: GET routes only. @defaultValue none */
  FRAISEQL_ADMIN_READONLY_TOKEN: z.string().min(16).optional(),
  /** Where a generated operator token is kept (mode 0600). @defaultValue `<FRAISEQL_DATA_DIR>/admin-token` */
  FRAISEQL_ADMIN_TOKEN_FILE: z.string().min(1).optional(),
  /** Extra `Host` names the HTTP listener answers to (comma-separated, e.g. behind a proxy). @defaultValue loopback names only */
  FRAISEQL_HTTP_ALLOWED_HOSTS: z.string().optional(),
  /** Routes served without the admin token: `health`, `metrics`, both (comma-separated) or `none`. @defaultValue `health,metrics` */
  FRAISEQL_OPEN_ROUTES: z
    .string()
    .regex(/^(none|(health|metrics)(,(health|metrics))*)$/, {
      error: 'expected "none" or a comma-separated list of health, metrics',
    })
    .default('health,metrics'),
  /** Create the demo schema and write demo orders. @defaultValue on with the embedded database, off otherwise */
  FRAISEQL_DEMO: flag.optional(),
  /** Pause between demo writes. @defaultValue `3s` */
  FRAISEQL_DEMO_INTERVAL: z.string().default('3s'),
  /** Record every observer action attempt in the invocation log (`core.tb_observer_invocation`). @defaultValue on */
  FRAISEQL_INVOCATION_LOG: flag.default(true),
  /** Invocation-log rows older than this are deleted. @defaultValue `7d` */
  FRAISEQL_INVOCATION_LOG_MAX_AGE: z.string().default('7d'),
  /** Invocation-log rows kept at most (the oldest go first). @defaultValue 1000000 */
  FRAISEQL_INVOCATION_LOG_MAX_ROWS: z.coerce.number().int().min(1).default(1_000_000),
  /** Serve the operator console at `/console` (behind the admin token). @defaultValue on */
  FRAISEQL_CONSOLE: flag.default(true),
  /** pino level. @defaultValue `info` */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Parsed server settings. */
export interface ServerSettings {
  readonly databaseUrl: string | undefined;
  readonly configPath: string | undefined;
  /**
   * Where the observers config is watched: `configPath`, or, while the demo observers run, the
   * default file in the working directory, so creating it later replaces them.
   */
  readonly configWatchPath: string;
  readonly redisUrl: string | undefined;
  readonly natsUrl: string | undefined;
  readonly workers: number;
  readonly queuePrefix: string;
  readonly dataDir: string;
  /** The ClickHouse sink, when `CLICKHOUSE_URL` is set. */
  readonly clickhouse:
    | { readonly url: string; readonly database: string; readonly checkIntervalMs: number }
    | undefined;
  /** The Elasticsearch event-history sink, when `ELASTICSEARCH_URL` is set. */
  readonly elasticsearch:
    | {
        readonly url: string;
        readonly apiKey: string | undefined;
        readonly indexPrefix: string;
        readonly checkIntervalMs: number;
      }
    | undefined;
  readonly httpHost: string;
  readonly httpPort: number;
  /** Arrow Flight listener, or undefined when `FRAISEQL_FLIGHT` is off. */
  readonly flight:
    | {
        readonly host: string;
        readonly port: number;
        readonly viewSchemas: readonly string[];
        /** Tables DoPut may write; empty: DoPut is refused. */
        readonly ingestTables: readonly { readonly schema: string; readonly name: string }[];
        /** Role Flight SQL statements run as; undefined: the server's own. */
        readonly sqlRole: string | undefined;
      }
    | undefined;
  /** Operator token, when configured (else one is generated into `adminTokenFile`). */
  readonly adminToken: string | undefined;
  readonly adminReadOnlyToken: string | undefined;
  readonly adminTokenFile: string;
  /** Extra `Host` values accepted besides the loopback names of the listener. */
  readonly allowedHosts: readonly string[];
  /** Routes that need no token. */
  readonly openRoutes: ReadonlySet<'health' | 'metrics'>;
  readonly demo: boolean;
  readonly demoIntervalMs: number;
  /** The invocation log: on or off, and its retention. */
  readonly invocationLog: {
    readonly enabled: boolean;
    readonly maxAgeMs: number;
    readonly maxRows: number;
  };
  /** Whether `/console` is served. */
  readonly console: boolean;
  readonly logLevel: z.output<typeof serverSettingsSchema>['LOG_LEVEL'];
}

/**
 * Reads settings from an environment map.
 *
 * @throws {Error} listing every invalid variable with its value.
 */
export function loadServerSettings(env: NodeJS.ProcessEnv, cwd = process.cwd()): ServerSettings {
  const parsed = serverSettingsSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.');
      const value = env[name];
      const got = SECRET_SETTINGS.has(name)
        ? '<redacted>'
        : JSON.stringify(name.endsWith('_URL') && value !== undefined ? redactUrl(value) : value);
      return `${name}: ${issue.message} (got ${got})`;
    });
    throw new Error(`invalid server settings:\n  ${lines.join('\n  ')}`);
  }
  const settings = parsed.data;
  const configPath = resolveConfigPath(settings.FRAISEQL_CONFIG, cwd);
  return {
    databaseUrl: settings.DATABASE_URL,
    configPath,
    configWatchPath: configPath ?? resolve(cwd, DEFAULT_CONFIG_FILE),
    redisUrl: settings.REDIS_URL,
    natsUrl: settings.NATS_URL,
    queuePrefix: settings.FRAISEQL_QUEUE_PREFIX,
    workers: settings.FRAISEQL_WORKERS ?? (settings.REDIS_URL === undefined ? 0 : 1),
    dataDir: settings.FRAISEQL_DATA_DIR,
    ...sinkSettings(settings),
    httpHost: settings.FRAISEQL_HTTP_HOST,
    httpPort: settings.FRAISEQL_HTTP_PORT,
    flight: settings.FRAISEQL_FLIGHT
      ? {
          host: settings.FRAISEQL_FLIGHT_HOST,
          port: settings.FRAISEQL_FLIGHT_PORT,
          viewSchemas: (
            settings.FRAISEQL_FLIGHT_VIEW_SCHEMAS ??
            ((settings.FRAISEQL_DEMO ?? settings.DATABASE_URL === undefined)
              ? 'public,demo'
              : 'public')
          ).split(','),
          ingestTables: (settings.FRAISEQL_FLIGHT_INGEST_TABLES?.split(',') ?? []).map((entry) => {
            const [schema, name] = entry.includes('.') ? entry.split('.') : ['public', entry];
            return { schema: schema ?? 'public', name: name ?? entry };
          }),
          sqlRole: settings.FRAISEQL_FLIGHT_SQL_ROLE,
        }
      : undefined,
    adminToken: settings.FRAISEQL_ADMIN_TOKEN,
    adminReadOnlyToken: settings.FRAISEQL_ADMIN_READONLY_TOKEN,
    adminTokenFile: resolve(
      cwd,
      settings.FRAISEQL_ADMIN_TOKEN_FILE ?? join(settings.FRAISEQL_DATA_DIR, 'admin-token'),
    ),
    allowedHosts: (settings.FRAISEQL_HTTP_ALLOWED_HOSTS ?? '')
      .split(',')
      .map((host) => host.trim())
      .filter((host) => host !== ''),
    openRoutes: new Set(
      settings.FRAISEQL_OPEN_ROUTES === 'none'
        ? []
        : (settings.FRAISEQL_OPEN_ROUTES.split(',') as ('health' | 'metrics')[]),
    ),
    demo: settings.FRAISEQL_DEMO ?? settings.DATABASE_URL === undefined,
    demoIntervalMs: parseDuration(settings.FRAISEQL_DEMO_INTERVAL, 'FRAISEQL_DEMO_INTERVAL'),
    invocationLog: {
      enabled: settings.FRAISEQL_INVOCATION_LOG,
      maxAgeMs: parseDuration(
        settings.FRAISEQL_INVOCATION_LOG_MAX_AGE,
        'FRAISEQL_INVOCATION_LOG_MAX_AGE',
      ),
      maxRows: settings.FRAISEQL_INVOCATION_LOG_MAX_ROWS,
    },
    console: settings.FRAISEQL_CONSOLE,
    logLevel: settings.LOG_LEVEL,
  };
}

function sinkSettings(
  settings: z.output<typeof serverSettingsSchema>,
): Pick<ServerSettings, 'clickhouse' | 'elasticsearch'> {
  const checkIntervalMs = parseDuration(
    settings.FRAISEQL_SINK_CHECK_INTERVAL,
    'FRAISEQL_SINK_CHECK_INTERVAL',
  );
  return {
    clickhouse:
      settings.CLICKHOUSE_URL === undefined
        ? undefined
        : {
            url: settings.CLICKHOUSE_URL,
            database: settings.CLICKHOUSE_DATABASE,
            checkIntervalMs,
          },
    elasticsearch:
      settings.ELASTICSEARCH_URL === undefined
        ? undefined
        : {
            url: settings.ELASTICSEARCH_URL,
            apiKey: settings.ELASTICSEARCH_API_KEY,
            indexPrefix: settings.ELASTICSEARCH_INDEX_PREFIX,
            checkIntervalMs,
          },
  };
}

/** The default config file name, looked up in the working directory. */
export const DEFAULT_CONFIG_FILE = 'fraiseql.config.yaml';

function resolveConfigPath(explicit: string | undefined, cwd: string): string | undefined {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path))
      throw new Error(
        `FRAISEQL_CONFIG: no file at ${path}: create it (\`pnpm fraiseql init\` writes an example) or unset FRAISEQL_CONFIG to run the demo observers`,
      );
    return path;
  }
  const fallback = resolve(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(fallback) ? fallback : undefined;
}
