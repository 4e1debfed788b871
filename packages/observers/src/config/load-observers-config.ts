import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

import { redactSecrets } from '@fraiseql/core';

import { ObserverError } from '../errors.js';
import {
  explainZodIssue,
  formatConfigIssue,
  formatConfigPath,
  type ConfigIssue,
} from './config-issue.js';
import { configFormatOf, parseConfigText, type ConfigFormat } from './config-text.js';
import { applyEnvOverrides, type EnvOverride } from './env-overrides.js';
import {
  createObserversConfigSchema,
  droppedObserverNames,
  invalidNameMessage,
  type ActionSchemaSource,
  type ObserversConfig,
} from './observers-config.js';
import { resolveConfigEnv, type ConfigEnv } from './resolve-config-env.js';

/** Options shared by every way of loading an observers config. */
export interface ObserversConfigOptions {
  /**
   * Environment for `*Env` references, `${VAR}` in headers and `FRAISEQL_*` overrides.
   * @defaultValue `process.env`
   */
  readonly env?: ConfigEnv | undefined;
  /**
   * Prefix of override variables (`FRAISEQL_SOURCE__KIND=nats`); `false` turns overrides off.
   * @defaultValue `'FRAISEQL_'`
   */
  readonly envPrefix?: string | false | undefined;
  /** Action registry whose registered types (and schemas) actions may use. */
  readonly registry?: ActionSchemaSource | undefined;
}

/** Options of {@link parseObserversConfig}. */
export interface ParseObserversConfigOptions extends ObserversConfigOptions {
  readonly format: ConfigFormat;
  /** Name shown next to line numbers in messages. */
  readonly fileName?: string | undefined;
}

/** Options of {@link loadObserversConfig}. */
export interface LoadObserversConfigOptions extends ObserversConfigOptions {
  /** @defaultValue from the file extension (`.yaml`/`.yml`, `.toml`, `.json`) */
  readonly format?: ConfigFormat | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** The outcome of checking a config: the config, or every issue found. */
export type ObserversConfigCheck =
  | { readonly ok: true; readonly config: ObserversConfig }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

const ROOT_KEYS = ['version', 'source', 'redis', 'observers'] as const;

/**
 * Reads, validates and resolves an observers config file (YAML, TOML or JSON), applying
 * `FRAISEQL_*` overrides. Nothing is returned unless the whole config is valid.
 *
 * @throws {ObserverError} `CONFIG_INVALID` (or `CONFIG_ENV_MISSING` when only environment
 *   variables are missing) listing every issue, with `details.issues` as {@link ConfigIssue}s.
 * @example const config = await loadObserversConfig('observers.yaml', { registry });
 */
export async function loadObserversConfig(
  path: string,
  options: LoadObserversConfigOptions = {},
): Promise<ObserversConfig> {
  return unwrap(await checkObserversConfigFile(path, options), basename(path));
}

/** Like {@link loadObserversConfig}, but returns the issues instead of throwing. */
export async function checkObserversConfigFile(
  path: string,
  options: LoadObserversConfigOptions = {},
): Promise<ObserversConfigCheck> {
  const fileName = basename(path);
  const format = options.format ?? configFormatOf(path);
  if (format === undefined) {
    return fail([
      {
        kind: 'file',
        path: '',
        file: fileName,
        message: 'unknown config format: name the file .yaml, .yml, .toml or .json, or pass format',
      },
    ]);
  }
  let text: string;
  try {
    text = await readFile(path, {
      encoding: 'utf8',
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    options.signal?.throwIfAborted();
    return fail([
      {
        kind: 'file',
        path: '',
        file: fileName,
        message: `cannot read ${path}: ${(error as Error).message}`,
      },
    ]);
  }
  return checkObserversConfigText(text, { ...options, format, fileName });
}

/**
 * Validates and resolves config text.
 *
 * @throws {ObserverError} `CONFIG_INVALID` / `CONFIG_ENV_MISSING` listing every issue.
 */
export function parseObserversConfig(
  text: string,
  options: ParseObserversConfigOptions,
): ObserversConfig {
  return unwrap(checkObserversConfigText(text, options), options.fileName);
}

/** Like {@link parseObserversConfig}, but returns the issues instead of throwing. */
export function checkObserversConfigText(
  text: string,
  options: ParseObserversConfigOptions,
): ObserversConfigCheck {
  const parsed = parseConfigText(text, options.format);
  const file = options.fileName;
  if (parsed.syntaxErrors.length > 0) {
    return fail(
      parsed.syntaxErrors.map((error) => ({
        kind: 'syntax' as const,
        path: '',
        message: error.message,
        ...(file === undefined ? {} : { file }),
        ...(error.line === undefined ? {} : { line: error.line }),
      })),
    );
  }
  return checkValue(parsed.value, options, parsed.lineOf, file);
}

/**
 * Validates and resolves a config given as a value (built in code).
 *
 * @throws {ObserverError} `CONFIG_INVALID` / `CONFIG_ENV_MISSING` listing every issue.
 */
export function validateObserversConfig(
  value: unknown,
  options: ObserversConfigOptions = {},
): ObserversConfig {
  return unwrap(checkValue(value, options, undefined, undefined), undefined);
}

function checkValue(
  input: unknown,
  options: ObserversConfigOptions,
  lineOf: ((path: readonly PropertyKey[]) => number | undefined) | undefined,
  file: string | undefined,
): ObserversConfigCheck {
  const env = options.env ?? process.env;
  const overridden =
    options.envPrefix === false
      ? { value: input, applied: [] }
      : applyEnvOverrides(input, env, {
          prefix: options.envPrefix ?? 'FRAISEQL_',
          roots: ROOT_KEYS,
        });
  const value = overridden.value;
  const located = (
    kind: ConfigIssue['kind'],
    path: PropertyKey[],
    message: string,
  ): ConfigIssue => {
    const override = overrideOf(path, overridden.applied);
    const line = override === undefined ? lineOf?.(path) : undefined;
    return {
      kind,
      path: formatConfigPath(path),
      message,
      ...(override === undefined ? {} : { env: override.env }),
      ...(file === undefined || override !== undefined ? {} : { file }),
      ...(line === undefined ? {} : { line }),
    };
  };

  const result = createObserversConfigSchema(options.registry).safeParse(value);
  const issues: ConfigIssue[] = droppedObserverNames(value).map((name) =>
    located('schema', ['observers', name], invalidNameMessage(name)),
  );
  if (!result.success) {
    for (const issue of result.error.issues) {
      for (const explained of explainZodIssue(issue, value)) {
        issues.push(located('schema', explained.path, explained.message));
      }
    }
  }
  // Environment references are checked even when validation failed, so one run reports all.
  const resolved = resolveConfigEnv(result.success ? result.data : value, env);
  for (const problem of resolved.problems) {
    issues.push(located('env', problem.path, problem.message));
  }
  if (issues.length > 0) return fail(issues);
  return { ok: true, config: resolved.value as ObserversConfig };
}

function overrideOf(
  path: readonly PropertyKey[],
  applied: readonly EnvOverride[],
): EnvOverride | undefined {
  return applied.find(
    (override) =>
      override.path.length <= path.length &&
      override.path.every((segment, index) => String(path[index]) === segment),
  );
}

function fail(issues: ConfigIssue[]): ObserversConfigCheck {
  const sorted = issues
    // Every message passes core's redaction: URL passwords masked wherever a value is quoted.
    .map((issue, order) => ({ issue: { ...issue, message: redactSecrets(issue.message) }, order }))
    .sort(
      (a, b) =>
        (a.issue.line ?? Number.MAX_SAFE_INTEGER) - (b.issue.line ?? Number.MAX_SAFE_INTEGER) ||
        a.order - b.order,
    )
    .map(({ issue }) => issue);
  return { ok: false, issues: sorted };
}

function unwrap(check: ObserversConfigCheck, file: string | undefined): ObserversConfig {
  if (check.ok) return check.config;
  const { issues } = check;
  const onlyEnv = issues.every((issue) => issue.kind === 'env');
  const head = `observers config${file === undefined ? '' : ` ${file}`} has ${issues.length} problem${issues.length === 1 ? '' : 's'}`;
  throw new ObserverError(
    onlyEnv ? 'CONFIG_ENV_MISSING' : 'CONFIG_INVALID',
    `${head}:\n${issues.map((issue) => `  ${formatConfigIssue(issue)}`).join('\n')}`,
    { details: { issues: issues, ...(file === undefined ? {} : { file }) } },
  );
}
