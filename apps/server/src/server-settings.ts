import { parseDuration } from '@fraiseql/core';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65_535);
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

/** The reference server's settings, read from the environment. */
export const serverSettingsSchema = z.object({
  /** PostgreSQL URL; unset = embedded PGlite under `dataDir`. */
  DATABASE_URL: z.string().min(1).optional(),
  /** Where embedded data lives. @defaultValue `.fraiseql` */
  FRAISEQL_DATA_DIR: z.string().min(1).default('.fraiseql'),
  /** HTTP bind address (health, metrics, admin). @defaultValue `127.0.0.1` */
  FRAISEQL_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  /** HTTP port; 0 picks a free one. @defaultValue 8080 */
  FRAISEQL_HTTP_PORT: port.default(8080),
  /** Create the demo schema and write demo orders. @defaultValue on with the embedded database, off otherwise */
  FRAISEQL_DEMO: flag.optional(),
  /** Pause between demo writes. @defaultValue `3s` */
  FRAISEQL_DEMO_INTERVAL: z.string().default('3s'),
  /** pino level. @defaultValue `info` */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Parsed server settings. */
export interface ServerSettings {
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly httpHost: string;
  readonly httpPort: number;
  readonly demo: boolean;
  readonly demoIntervalMs: number;
  readonly logLevel: z.output<typeof serverSettingsSchema>['LOG_LEVEL'];
}

/**
 * Reads settings from an environment map.
 *
 * @throws {Error} listing every invalid variable with its value.
 */
export function loadServerSettings(env: NodeJS.ProcessEnv): ServerSettings {
  const parsed = serverSettingsSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.');
      return `${name}: ${issue.message} (got ${JSON.stringify(env[name])})`;
    });
    throw new Error(`invalid server settings:\n  ${lines.join('\n  ')}`);
  }
  const settings = parsed.data;
  return {
    databaseUrl: settings.DATABASE_URL,
    dataDir: settings.FRAISEQL_DATA_DIR,
    httpHost: settings.FRAISEQL_HTTP_HOST,
    httpPort: settings.FRAISEQL_HTTP_PORT,
    demo: settings.FRAISEQL_DEMO ?? settings.DATABASE_URL === undefined,
    demoIntervalMs: parseDuration(settings.FRAISEQL_DEMO_INTERVAL, 'FRAISEQL_DEMO_INTERVAL'),
    logLevel: settings.LOG_LEVEL,
  };
}
