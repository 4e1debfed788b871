import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';

import { silentLogger, type Logger } from '@fraiseql/core';

import { ObserverError, isObserverError } from '../errors.js';
import { formatConfigIssue } from './config-issue.js';
import { configFormatOf } from './config-text.js';
import { checkObserversConfigText, type ObserversConfigOptions } from './load-observers-config.js';
import type { ConfigFormat } from './config-text.js';
import type { ObserversConfig } from './observers-config.js';

/** Options of {@link watchConfig}. */
export interface WatchConfigOptions extends ObserversConfigOptions {
  /** @defaultValue from the file extension */
  readonly format?: ConfigFormat | undefined;
  /**
   * Quiet time after the last file event before reloading (editors write in several steps).
   * @defaultValue 200
   */
  readonly debounceMs?: number | undefined;
  /**
   * Called when a changed file is invalid (the previous config stays in force) or when
   * `onChange` throws. The error is an `ObserverError` with `details.issues` for invalid files.
   */
  readonly onError?: ((error: ObserverError) => void) | undefined;
  readonly logger?: Logger | undefined;
}

/** A running config watch. */
export interface ConfigWatcher extends AsyncDisposable {
  /** Stops watching and waits for a reload in progress. */
  close(): Promise<void>;
}

/**
 * Watches a config file and calls `onChange` with each new valid version (typically
 * `config => matcher.replace(createObserverDefinitions(config))`, an atomic swap). An invalid
 * version changes nothing: `onError` gets every issue. Saves that leave the content unchanged
 * are ignored; reloads never overlap. The directory is watched, so editors that save by
 * renaming a temporary file over the original are followed.
 *
 * @example
 * await using watcher = watchConfig('observers.yaml', (config) =>
 *   matcher.replace(createObserverDefinitions(config)));
 */
export function watchConfig(
  path: string,
  onChange: (config: ObserversConfig) => void | Promise<void>,
  options: WatchConfigOptions = {},
): ConfigWatcher {
  const file = resolve(path);
  const name = basename(file);
  const logger = options.logger ?? silentLogger;
  const debounceMs = options.debounceMs ?? 200;
  const format = options.format ?? configFormatOf(file);
  if (format === undefined) {
    throw new ObserverError(
      'INVALID_ARGUMENT',
      `watchConfig: unknown config format of ${name}; use .yaml, .yml, .toml or .json, or pass format`,
    );
  }
  let lastText: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const report = (error: ObserverError): void => {
    logger.warn({ file, code: error.code }, error.message);
    options.onError?.(error);
  };

  const reload = async (): Promise<void> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      // A rename-based save briefly removes the file; the next event reloads it.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      report(
        new ObserverError('CONFIG_INVALID', `cannot read ${file}: ${(error as Error).message}`, {
          cause: error,
        }),
      );
      return;
    }
    if (closed) return;
    if (text === lastText) {
      logger.debug({ file }, 'observers config file touched without changes');
      return;
    }
    lastText = text;
    const check = checkObserversConfigText(text, { ...options, format, fileName: name });
    if (!check.ok) {
      const onlyEnv = check.issues.every((issue) => issue.kind === 'env');
      report(
        new ObserverError(
          onlyEnv ? 'CONFIG_ENV_MISSING' : 'CONFIG_INVALID',
          `observers config ${name} changed but is invalid; keeping the previous config:\n${check.issues
            .map((issue) => `  ${formatConfigIssue(issue)}`)
            .join('\n')}`,
          { details: { issues: check.issues, file: name } },
        ),
      );
      return;
    }
    try {
      await onChange(check.config);
      logger.info(
        { file, observers: Object.keys(check.config.observers).length },
        'observers config reloaded',
      );
    } catch (error) {
      report(
        isObserverError(error)
          ? error
          : new ObserverError('CONFIG_INVALID', `applying ${name} failed: ${String(error)}`, {
              cause: error,
            }),
      );
    }
  };

  const run = (): void => {
    if (closed) return;
    if (running !== undefined) {
      again = true;
      return;
    }
    running = reload().finally(() => {
      running = undefined;
      if (again && !closed) {
        again = false;
        run();
      }
    });
  };

  const schedule = (): void => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(run, debounceMs);
  };

  // The content at start is the baseline: touching the file without changing it is a no-op.
  // Read synchronously so a write right after this call is always seen as a change.
  try {
    lastText = readFileSync(file, 'utf8');
  } catch {
    lastText = undefined;
  }
  const watcher: FSWatcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
    if (changed === null || changed === name) schedule();
  });
  watcher.on('error', (error) => {
    report(
      new ObserverError('CONFIG_INVALID', `watching ${file} failed: ${error.message}`, {
        cause: error,
      }),
    );
  });

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    watcher.close();
    await running;
  };
  return { close, [Symbol.asyncDispose]: close };
}
