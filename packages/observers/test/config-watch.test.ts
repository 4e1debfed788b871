import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { LogFields, Logger } from '@fraiseql/core';
import { createTempDir, waitFor, type TempDir } from '@fraiseql/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { ConfigIssue } from '../src/config/config-issue.js';
import { loadObserversConfig } from '../src/config/load-observers-config.js';
import type { ObserversConfig } from '../src/config/observers-config.js';
import { watchConfig, type ConfigWatcher } from '../src/config/watch-config.js';
import type { ObserverError } from '../src/errors.js';
import { createObserverDefinitions } from '../src/matching/observer-definition.js';
import { createMatcher, type ObserverMatcher } from '../src/matching/observer-matcher.js';

const observer = (name: string, entity: string): string =>
  `  ${name}:\n    entity: ${entity}\n    events: [INSERT]\n    actions: [{ type: function, name: ${name} }]\n`;

let dir: TempDir;
let path: string;
let matcher: ObserverMatcher;
let watcher: ConfigWatcher;
let applied: ObserversConfig[];
let errors: ObserverError[];
let logs: string[];

const logger: Logger = {
  debug: (_fields: LogFields, message: string) => logs.push(message),
  info: (_fields: LogFields, message: string) => logs.push(message),
  warn: (_fields: LogFields, message: string) => logs.push(message),
  error: (_fields: LogFields, message: string) => logs.push(message),
};

beforeEach(async () => {
  dir = await createTempDir('observers-config-watch');
  path = join(dir.path, 'observers.yaml');
  await writeFile(path, `observers:\n${observer('orders', 'Order')}`);
  matcher = createMatcher(createObserverDefinitions(await loadObserversConfig(path, { env: {} })));
  applied = [];
  errors = [];
  logs = [];
  watcher = watchConfig(
    path,
    (config) => {
      matcher.replace(createObserverDefinitions(config));
      applied.push(config);
    },
    { env: {}, debounceMs: 30, logger, onError: (error) => errors.push(error) },
  );
});

afterEach(async () => {
  await watcher.close();
  await dir.close();
});

const names = (): string[] => matcher.list().map((status) => `${status.name}:${status.state}`);

describe('watchConfig', () => {
  it('swaps in each valid new version and keeps runtime states of observers that stay', async () => {
    matcher.pause('orders');
    await writeFile(path, `observers:\n${observer('orders', 'Order')}${observer('users', 'User')}`);
    await waitFor(() => applied.length === 1, { message: 'first reload' });
    expect(names()).toEqual(['orders:paused', 'users:running']);

    // Editors often save by renaming a temporary file over the original.
    const temp = join(dir.path, '.observers.yaml.tmp');
    await writeFile(temp, `observers:\n${observer('users', 'Customer')}`);
    await rename(temp, path);
    await waitFor(() => applied.length === 2, { message: 'reload after rename' });
    expect(names()).toEqual(['users:running']);
    expect(matcher.get('users')?.entity).toBe('Customer');
    expect(errors).toEqual([]);
  });

  it('keeps the old observers and reports every issue when the new file is invalid', async () => {
    await writeFile(
      path,
      `observers:\n${observer('orders', 'Order')}  broken:\n    entity: Order\n    events: [INSRT]\n    actions: []\n`,
    );
    await waitFor(() => errors.length === 1, { message: 'reported error' });
    expect(errors[0]?.code).toBe('CONFIG_INVALID');
    expect(
      (errors[0]?.details.issues as ConfigIssue[]).map((issue) => `${issue.path}@${issue.line}`),
    ).toEqual(['observers.broken.events[0]@8', 'observers.broken.actions@9']);
    expect(names()).toEqual(['orders:running']);
    expect(applied).toEqual([]);

    // Fixing the file applies it.
    await writeFile(
      path,
      `observers:\n${observer('orders', 'Order')}${observer('fixed', 'Order')}`,
    );
    await waitFor(() => applied.length === 1, { message: 'reload after fix' });
    expect(names()).toEqual(['orders:running', 'fixed:running']);
  });

  it('ignores saves that do not change the content', async () => {
    await writeFile(path, `observers:\n${observer('orders', 'Order')}`);
    await waitFor(() => logs.includes('observers config file touched without changes'), {
      message: 'unchanged save noticed',
    });
    expect(applied).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('stops reloading once closed', async () => {
    await watcher.close();
    await writeFile(path, `observers:\n${observer('late', 'Order')}`);
    // A fresh watcher sees the same write, proving the event happened while the closed one ignored it.
    const seen: ObserversConfig[] = [];
    const second = watchConfig(path, (config) => void seen.push(config), {
      env: {},
      debounceMs: 30,
    });
    await writeFile(path, `observers:\n${observer('later', 'Order')}`);
    await waitFor(() => seen.length === 1, { message: 'second watcher reload' });
    await second.close();
    expect(applied).toEqual([]);
    expect(names()).toEqual(['orders:running']);
  });
});
