import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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
  /** The temp dir holding its data; removed once it has stopped for good. */
  readonly dir: string;
  /**
   * Stops the server but keeps its port reserved and its data, for restart tests: `SIGKILL`
   * kills its whole process group as a crash would; the default is the server's own clean,
   * fast shutdown signal.
   */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped server again on the same port and data, once it answers. */
  start(): Promise<void>;
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
  const reaper = new Reaper({
    command: plan.command,
    args: plan.args,
    cwd: dir,
    env: {},
    stopSignal: plan.stopSignal,
    killAfterMs: 10_000,
    removeDir: dir,
    ...(plan.uid === undefined ? {} : { uid: plan.uid }),
    ...(plan.gid === undefined ? {} : { gid: plan.gid }),
  });

  const awaitReady = async (): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let lastProbe: string | undefined = 'not probed yet';
    while (Date.now() < deadline && reaper.serverRunning) {
      lastProbe = await probeService(kind, plan.url, { timeoutMs: 1000 });
      if (lastProbe === undefined) return;
      await reaper.nextChange(100);
    }
    const why = reaper.serverRunning ? `no answer within ${timeoutMs} ms` : 'the server exited';
    throw new TestingError(
      'SERVICE_START_FAILED',
      `${kind}: started ${plan.command} but ${why} (last probe: ${lastProbe}). Server output:\n${reaper.output.trim()}`,
    );
  };

  try {
    await reaper.started();
    await awaitReady();
  } catch (error) {
    await reaper.close();
    throw error;
  }
  const close = async (): Promise<void> => {
    await reaper.close();
    // The reaper removes the dir itself, unless it had to be killed before it could.
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  return {
    kind,
    url: plan.url,
    dir,
    stop: (signal = plan.stopSignal) => reaper.stopServer(signal),
    start: async () => {
      await reaper.startServer();
      await awaitReady();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The parent's side of the reaper process (see `process/reaper.ts`). */
class Reaper {
  output = '';
  serverRunning = false;
  #serverPid: number | undefined;
  readonly #child: ChildProcess;
  readonly #changes = new EventEmitter();
  readonly #exited: Promise<void>;

  constructor(config: ReaperConfig) {
    this.#child = spawn(process.execPath, [reaperScript(), JSON.stringify(config)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child.stderr?.setEncoding('utf8');
    this.#child.stderr?.on('data', (chunk: string) => {
      this.output = (this.output + chunk).slice(-4000);
    });
    if (this.#child.stdout !== null) {
      createInterface({ input: this.#child.stdout }).on('line', (line) => {
        if (line.startsWith('started ')) {
          this.serverRunning = true;
          this.#serverPid = Number(line.slice('started '.length)) || undefined;
        } else if (line.startsWith('exited ')) this.serverRunning = false;
        else return;
        this.#changes.emit('change', line);
      });
    }
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', () => {
        this.serverRunning = false;
        this.#changes.emit('change', 'exited reaper');
        resolve();
      });
    });
    // Neither the reaper nor its pipes may keep this process alive; when it exits the stdin
    // pipe closes and the reaper stops the server.
    this.#child.unref();
    for (const pipe of [this.#child.stdin, this.#child.stdout, this.#child.stderr]) {
      (pipe as { unref?: () => void } | null)?.unref?.();
    }
  }

  get #gone(): boolean {
    return this.#child.exitCode !== null || this.#child.signalCode !== null;
  }

  /** Resolves with the next `started …`/`exited …` report, or `undefined` after `ms`. */
  async nextChange(ms?: number): Promise<string | undefined> {
    if (this.#gone) return 'exited reaper';
    // The reaper and its pipes are unref'd; a ref'd timer keeps this process alive while it
    // waits for the reaper's answer.
    const keepAlive = setInterval(() => undefined, 60_000);
    const signal = ms === undefined ? undefined : AbortSignal.timeout(ms);
    try {
      const [line] = (await once(
        this.#changes,
        'change',
        signal === undefined ? {} : { signal },
      )) as [string];
      return line;
    } catch {
      return undefined;
    } finally {
      clearInterval(keepAlive);
    }
  }

  async started(): Promise<void> {
    for (;;) {
      if (this.serverRunning) return;
      const line = await this.nextChange();
      if (line?.startsWith('started ') === true) return;
      if (line?.startsWith('exited ') === true) {
        throw new TestingError(
          'SERVICE_START_FAILED',
          `the server did not start: ${this.output.trim()}`,
        );
      }
    }
  }

  async startServer(): Promise<void> {
    if (this.#gone) throw new TestingError('SERVICE_START_FAILED', 'the service was closed');
    const next = this.nextChange();
    this.#child.stdin?.write('start\n');
    await next;
    await this.started();
  }

  async stopServer(signal: NodeJS.Signals): Promise<void> {
    if (this.#gone || !this.serverRunning) return;
    const next = this.nextChange();
    this.#child.stdin?.write(`stop ${signal}\n`);
    let line = await next;
    while (line?.startsWith('exited ') !== true) line = await this.nextChange();
  }

  async close(): Promise<void> {
    if (this.#gone) return;
    this.#child.stdin?.end();
    // The reaper and its pipes are unref'd: without a ref'd timer this process could run out of
    // work and exit (code 13 under a top-level await) before the reaper's exit is seen.
    const keepAlive = setInterval(() => undefined, 60_000);
    // A reaper that has not finished in time (a slow server shutdown and clean-up under load)
    // is killed, and its server's process group with it, so no server outlives this process.
    const timer = setTimeout(() => {
      if (this.serverRunning && this.#serverPid !== undefined) {
        try {
          process.kill(-this.#serverPid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      this.#child.kill('SIGKILL');
    }, 30_000);
    try {
      await this.#exited;
    } finally {
      clearTimeout(timer);
      clearInterval(keepAlive);
    }
  }
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
