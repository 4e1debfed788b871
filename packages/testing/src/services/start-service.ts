import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestingError } from '../errors.js';
import type { ReaperConfig } from '../process/reaper-config.js';
import { planClickHouse } from './clickhouse-launcher.js';
import { freePort } from './free-port.js';
import type { LaunchPlan, LaunchPlanner } from './launch-plan.js';
import { planNats } from './nats-launcher.js';
import { planPostgres } from './postgres-launcher.js';
import { probeService } from './probe-service.js';
import { planRedis } from './redis-launcher.js';
import type { ServiceKind } from './service-kind.js';

const PLANNERS: Readonly<Record<ServiceKind, LaunchPlanner>> = {
  postgres: planPostgres,
  redis: planRedis,
  nats: planNats,
  clickhouse: planClickHouse,
};

/** A service binary this process started; it stops when this process ends, whatever the way. */
export interface StartedService extends AsyncDisposable {
  readonly kind: ServiceKind;
  readonly url: string;
  /** The temp dir holding its data; removed once it has stopped. */
  readonly dir: string;
  /** Stops the server and removes its temp dir; safe to call twice. */
  close(): Promise<void>;
}

/** Options for {@link startService}. */
export interface StartServiceOptions {
  /**
   * How long the server may take to answer its first round trip.
   * @defaultValue 60000
   */
  readonly timeoutMs?: number;
}

/**
 * Starts the installed binary for `kind` on a free loopback port in a fresh temp dir and waits
 * until it answers a protocol round trip. A small reaper process owns the server: it stops the
 * server and removes the dir when {@link StartedService.close} is called or this process exits.
 *
 * @throws {TestingError} `SERVICE_START_FAILED` when the binary is missing or never answers
 */
export async function startService(
  kind: ServiceKind,
  options: StartServiceOptions = {},
): Promise<StartedService> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  // A port picked free can be taken before the server binds it; try a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(kind, timeoutMs);
    } catch (error) {
      const portTaken =
        error instanceof TestingError && /address already in use|EADDRINUSE/i.test(error.message);
      if (!portTaken || attempt >= 3) throw error;
    }
  }
}

async function startOnce(kind: ServiceKind, timeoutMs: number): Promise<StartedService> {
  const dir = await mkdtemp(join(tmpdir(), `fraiseql-${kind}-`));
  let plan: LaunchPlan;
  try {
    plan = await PLANNERS[kind](dir, await freePort());
    await plan.prepare?.();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    if (error instanceof TestingError) throw error;
    const detail = (error as { stderr?: string }).stderr ?? (error as Error).message;
    throw new TestingError('SERVICE_START_FAILED', `${kind}: preparing failed: ${detail}`, {
      cause: error,
    });
  }

  const config: ReaperConfig = {
    command: plan.command,
    args: plan.args,
    cwd: dir,
    env: {},
    stopSignal: plan.stopSignal,
    killAfterMs: 10_000,
    removeDir: dir,
    ...(plan.uid === undefined ? {} : { uid: plan.uid }),
    ...(plan.gid === undefined ? {} : { gid: plan.gid }),
  };
  const reaper = spawn(process.execPath, [reaperScript(), JSON.stringify(config)], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let output = '';
  reaper.stderr.setEncoding('utf8');
  reaper.stderr.on('data', (chunk: string) => {
    output = (output + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => {
    reaper.once('exit', () => {
      resolve();
    });
  });
  // Neither the reaper nor its pipes may keep this process alive; when it exits the stdin pipe
  // closes and the reaper stops the server.
  reaper.unref();
  unrefPipe(reaper.stdin);
  unrefPipe(reaper.stderr);

  const close = async (): Promise<void> => {
    if (hasExited(reaper)) return;
    reaper.stdin.end();
    const timer = setTimeout(() => {
      reaper.kill('SIGKILL');
    }, 30_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + timeoutMs;
  let lastProbe: string | undefined = 'not probed yet';
  while (Date.now() < deadline && !hasExited(reaper)) {
    lastProbe = await probeService(kind, plan.url, { timeoutMs: 1000 });
    if (lastProbe === undefined) {
      return { kind, url: plan.url, dir, close, [Symbol.asyncDispose]: close };
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 100))]);
  }
  await close();
  const why = hasExited(reaper) ? 'the server exited' : `no answer within ${timeoutMs} ms`;
  throw new TestingError(
    'SERVICE_START_FAILED',
    `${kind}: started ${plan.command} but ${why} (last probe: ${lastProbe}). Server output:\n${output.trim()}`,
  );
}

/** Child pipes are sockets; unref lets this process exit while the pipe stays open. */
function unrefPipe(pipe: object): void {
  (pipe as { unref?: () => void }).unref?.();
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** The compiled reaper script, next to this module in `dist/`, or in `dist/` when run from `src/`. */
function reaperScript(): string {
  const sibling = fileURLToPath(new URL('../process/reaper.js', import.meta.url));
  if (existsSync(sibling)) return sibling;
  const built = fileURLToPath(new URL('../../dist/process/reaper.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new TestingError(
    'SERVICE_START_FAILED',
    `the reaper script is not built (${built}); run \`pnpm exec tsc -b\` first`,
  );
}
