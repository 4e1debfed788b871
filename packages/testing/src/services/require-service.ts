import { isCI } from './is-ci.js';
import { TestingError } from '../errors.js';
import { probeService } from './probe-service.js';
import { redactUrl } from './redact-url.js';
import {
  ENV_VARS,
  HOW_TO_START,
  LOOPBACK_URLS,
  type ServiceHandle,
  type ServiceKind,
} from './service-kind.js';
import { startService } from './start-service.js';

type Resolution = { readonly handle: ServiceHandle } | { readonly reason: string };

interface Memo {
  readonly resolutions: Map<string, Promise<Resolution>>;
  readonly warned: Set<string>;
}

// Keyed by kind and the env URL at call time, so a test that changes the env URL gets a fresh
// answer while every suite in this process shares one server per kind. Kept on globalThis so
// that a test runner re-evaluating modules for each file in the same process still shares it.
const MEMO_KEY = Symbol.for('@fraiseql/testing/require-service');
const memo = ((globalThis as Record<symbol, Memo | undefined>)[MEMO_KEY] ??= {
  resolutions: new Map<string, Promise<Resolution>>(),
  warned: new Set<string>(),
});
const { resolutions, warned } = memo;

/**
 * Finds a running `kind` service for a test file: the env URL (`DATABASE_URL`, `REDIS_URL`,
 * `NATS_URL`, `CLICKHOUSE_URL`) when set, verified by a protocol round trip and never
 * second-guessed; otherwise the standard loopback port; otherwise the installed binary started
 * on a free port for the life of this process. The answer is memoised per process.
 *
 * When nothing answers, outside CI it prints one loud line to stderr (the service and how to
 * start it) and returns `undefined`, so `describe.skipIf(handle === undefined)` skips the suite.
 *
 * @example
 * const pg = await requireService('postgres');
 * describe.skipIf(pg === undefined)('capture', () => { … });
 * @throws {TestingError} `SERVICE_UNAVAILABLE` when nothing answers and `CI` is `true` or `1`:
 * in CI a missing service is a failure, never a skip.
 */
export async function requireService(kind: ServiceKind): Promise<ServiceHandle | undefined> {
  const envUrl = nonEmpty(process.env[ENV_VARS[kind]]);
  const key = `${kind}\u0000${envUrl ?? ''}`;
  let pending = resolutions.get(key);
  if (pending === undefined) {
    pending = resolve(kind, envUrl);
    resolutions.set(key, pending);
  }
  const resolution = await pending;
  if ('handle' in resolution) return resolution.handle;

  if (isCI()) {
    throw new TestingError(
      'SERVICE_UNAVAILABLE',
      `${kind} is required in CI (CI=${process.env.CI ?? ''}) but ${resolution.reason}. Start it with: ${HOW_TO_START[kind]}`,
    );
  }
  if (!warned.has(key)) {
    warned.add(key);
    process.stderr.write(
      `\n!!! [@fraiseql/testing] ${kind.toUpperCase()} UNAVAILABLE, SKIPPING ITS TESTS: ${resolution.reason}. Start it with: ${HOW_TO_START[kind]}\n`,
    );
  }
  return undefined;
}

async function resolve(kind: ServiceKind, envUrl: string | undefined): Promise<Resolution> {
  if (envUrl !== undefined) {
    const failure = await probeService(kind, envUrl);
    if (failure === undefined) return { handle: { kind, url: envUrl, origin: 'env' } };
    return { reason: `${ENV_VARS[kind]}=${redactUrl(envUrl)} does not answer (${failure})` };
  }
  const loopback = LOOPBACK_URLS[kind];
  const loopbackFailure = await probeService(kind, loopback);
  if (loopbackFailure === undefined) {
    return { handle: { kind, url: loopback, origin: 'loopback' } };
  }
  try {
    // Stopped by its reaper when this process exits; shared by every suite in the process.
    const started = await startService(kind);
    return { handle: { kind, url: started.url, origin: 'started' } };
  } catch (error) {
    const why = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    return {
      reason: `nothing answers on ${loopback} (${loopbackFailure}) and starting one failed (${why})`,
    };
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
