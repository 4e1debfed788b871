import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Logger } from '@fraiseql/core';
import { createTempDir, waitFor } from '@fraiseql/testing';
import { describe, expect, it } from 'vitest';

import { formatConfigIssue, type ConfigIssue } from '../src/config/config-issue.js';
import { loadObserversConfig } from '../src/config/load-observers-config.js';
import { watchConfig } from '../src/config/watch-config.js';
import { isObserverError } from '../src/errors.js';

// A canary secret in every secret-bearing place a config can hold one; none may appear in any
// error message, issue, JSON of an issue or log line, whichever way it came in.
const CANARIES = {
  webhookSecret: 'whsec_C4NARY0NE!!',
  webhookUrl: 'c4nary-two',
  smtpUrl: 'c4nary-three',
  redisUrl: 'c4nary-four',
  actionRedisUrl: 'c4nary-five',
  envRedisUrl: 'c4nary-six',
};

const CONFIG = `
redis:
  url: "rediz://:${CANARIES.redisUrl}@127.0.0.1:6379"
observers:
  leaky:
    entity: Order
    events: [INSERT]
    actions:
      - type: webhook
        url: "htp://user:${CANARIES.webhookUrl}@hooks.example/x"
        signing:
          secrets: ["${CANARIES.webhookSecret}"]
      - type: email
        smtp: { url: "smtq://mailer:${CANARIES.smtpUrl}@mail.example:587" }
        from: a@example.test
        to: b@example.test
        subject: hi
        text: hi
      - type: cache
        redisUrl: "http://:${CANARIES.actionRedisUrl}@cache.example"
        keys: ["k"]
`;

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const record =
    (level: string) =>
    (...args: unknown[]): void => {
      lines.push(`${level} ${JSON.stringify(args)}`);
    };
  const logger = {
    trace: record('trace'),
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    fatal: record('fatal'),
    child: () => logger,
  } as unknown as Logger;
  return { logger, lines };
}

function leaks(text: string): string[] {
  return Object.entries(CANARIES)
    .filter(([, canary]) => text.includes(canary))
    .map(([name]) => name);
}

describe('secrets in config errors and logs', () => {
  it('never shows a planted secret: load errors, issues, env overrides and reload logs', async () => {
    await using dir = await createTempDir('observers-config-secrets');
    const path = join(dir.path, 'observers.yaml');
    await writeFile(path, CONFIG);
    const env = { FRAISEQL_REDIS__URL: `rediz://:${CANARIES.envRedisUrl}@10.0.0.1:6379` };

    const error = await loadObserversConfig(path, { env }).catch((e: unknown) => e);
    expect(isObserverError(error)).toBe(true);
    const issues = (error as { details: { issues: ConfigIssue[] } }).details.issues;
    const output = [
      (error as Error).message,
      JSON.stringify(issues),
      issues.map(formatConfigIssue).join('\n'),
    ].join('\n');
    // Each planted value was reported on (so the test looks where it matters) …
    for (const path of [
      'redis.url',
      'observers.leaky.actions[0].url',
      'observers.leaky.actions[0].signing.secrets[0]',
      'observers.leaky.actions[1].smtp.url',
      'observers.leaky.actions[2].redisUrl',
    ]) {
      expect(issues.map((issue) => issue.path)).toContain(path);
    }
    expect(issues.find((issue) => issue.path === 'redis.url')?.env).toBe('FRAISEQL_REDIS__URL');
    // … and none of them shows.
    expect(leaks(output)).toEqual([]);
    expect(output).toContain('rediz://:***@10.0.0.1:6379');

    // A watched file that turns invalid logs its issues: redacted the same way.
    const { logger, lines } = capture();
    await writeFile(path, 'observers: {}\n');
    const errors: string[] = [];
    const watcher = watchConfig(path, () => undefined, {
      env: {},
      logger,
      debounceMs: 20,
      onError: (e) => errors.push(e.message, JSON.stringify(e.details)),
    });
    try {
      await writeFile(path, CONFIG);
      await waitFor(() => lines.some((line) => line.startsWith('warn')), {
        timeoutMs: 10_000,
        message: 'the invalid reload was not logged',
      });
    } finally {
      await watcher.close();
    }
    expect(leaks([...lines, ...errors].join('\n'))).toEqual([]);
  });
});
