import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  checkObserversConfigFile,
  formatConfigIssue,
  type ActionRegistry,
  type ConfigIssue,
  type ObserversConfig,
} from '@fraiseql/observers';
import type { CommandContext } from '../command.js';
import { CliError } from '../errors.js';

/** The config file looked for in the working directory when `--config` is not given. */
export const DEFAULT_CONFIG_FILE = 'fraiseql.config.yaml';

/**
 * The config path from `--config`, else `fraiseql.config.yaml` in the working directory.
 *
 * @throws {CliError} `CONFIG_MISSING` when the file does not exist.
 */
export function configPath(context: CommandContext): string {
  const flag = context.values.config;
  const path = resolve(context.cwd, typeof flag === 'string' ? flag : DEFAULT_CONFIG_FILE);
  if (!existsSync(path)) {
    throw new CliError(
      'CONFIG_MISSING',
      typeof flag === 'string'
        ? `config file ${path} does not exist`
        : `no ${DEFAULT_CONFIG_FILE} in ${context.cwd}: pass --config <file> or run \`fraiseql init\``,
    );
  }
  return path;
}

/** The outcome of loading the config: the config, or its issues as printable lines. */
export type ConfigLoad =
  | { readonly ok: true; readonly path: string; readonly config: ObserversConfig }
  | { readonly ok: false; readonly path: string; readonly issues: readonly ConfigIssue[] };

/** Checks the config file (against `registry`'s action types when given, else the built-in ones). */
export async function checkConfig(
  context: CommandContext,
  registry?: ActionRegistry,
): Promise<ConfigLoad> {
  const path = configPath(context);
  const check = await checkObserversConfigFile(path, {
    env: context.env,
    ...(registry === undefined ? {} : { registry }),
  });
  return check.ok
    ? { ok: true, path, config: check.config }
    : { ok: false, path, issues: check.issues };
}

/**
 * Loads the config file, failing with every issue listed.
 *
 * @throws {CliError} `CONFIG_MISSING` (no file) or `FAILED` (invalid config).
 */
export async function loadConfig(
  context: CommandContext,
  registry?: ActionRegistry,
): Promise<{ path: string; config: ObserversConfig }> {
  const loaded = await checkConfig(context, registry);
  if (loaded.ok) return loaded;
  throw new CliError(
    'FAILED',
    `${loaded.path} is invalid:\n${loaded.issues.map((issue) => `  ${formatConfigIssue(issue)}`).join('\n')}`,
  );
}
