import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter, on } from 'node:events';
import { createInterface } from 'node:readline';
import { TestingError } from '../errors.js';

/** Options for {@link spawnNode}. */
export interface SpawnNodeOptions {
  /** Arguments after the script path. */
  readonly args?: readonly string[];
  /** Added to (and overriding) this process's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Node flags before the script path (e.g. `--enable-source-maps`). */
  readonly execArgv?: readonly string[];
  /** @defaultValue this process's working directory */
  readonly cwd?: string;
}

/** How a child process ended: an exit code, or the signal that killed it. */
export interface ExitResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A Node.js child process with its output split into lines, for crash and restart tests. */
export interface SpawnedNode extends AsyncDisposable {
  readonly child: ChildProcess;
  /** Every stdout line so far (live array). */
  readonly lines: readonly string[];
  /** Every stdout line, from the first, as they arrive; ends when stdout closes. */
  readonly stdoutLines: AsyncIterable<string>;
  /** The last 8 kB of stderr. */
  stderr(): string;
  /**
   * Resolves with the first stdout line at index `after` or later (default 0: any line since
   * start) that matches `pattern`.
   * @throws {TestingError} `PROCESS_EXITED` when stdout ends first, `TIMEOUT` after `timeoutMs`
   * (default 30000)
   */
  waitForLine(
    pattern: RegExp,
    options?: { readonly timeoutMs?: number; readonly after?: number },
  ): Promise<RegExpMatchArray>;
  /** Sends `signal` (default `SIGTERM`) and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<ExitResult>;
  /** Settles when the process has exited. */
  readonly exited: Promise<ExitResult>;
  /** SIGKILLs the process if still running and waits for it. */
  close(): Promise<void>;
}

/**
 * Runs `node scriptPath …args` with piped output. The child is SIGKILLed if this process exits
 * first, so crash tests leave no strays.
 *
 * @example
 * const worker = spawnNode(fixture, { env: { DATABASE_URL: db.url } });
 * await worker.waitForLine(/ready/);
 * await worker.kill('SIGKILL');
 */
export function spawnNode(scriptPath: string, options: SpawnNodeOptions = {}): SpawnedNode {
  const child = spawn(
    process.execPath,
    [...(options.execArgv ?? []), scriptPath, ...(options.args ?? [])],
    {
      cwd: options.cwd ?? process.cwd(),
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const lines: string[] = [];
  const events = new EventEmitter();
  let stdoutEnded = false;
  createInterface({ input: child.stdout })
    .on('line', (line) => {
      lines.push(line);
      events.emit('line');
    })
    .on('close', () => {
      stdoutEnded = true;
      events.emit('line');
    });
  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-8192);
  });
  // stdout can close before the last stderr chunk is read: a report of an ended process waits
  // for stderr too (at most a second, for a child that closed stdout and runs on).
  const stderrClosed = new Promise<void>((resolve) => {
    child.stderr.once('close', resolve);
  });
  const stderrRead = (): Promise<void> =>
    Promise.race([stderrClosed, new Promise<void>((resolve) => setTimeout(resolve, 1000))]);

  const exited = new Promise<ExitResult>((resolve) => {
    child.once('exit', (code, signal) => {
      process.removeListener('exit', killOnExit);
      resolve({ code, signal });
    });
  });

  const waitForLine: SpawnedNode['waitForLine'] = (pattern, waitOptions = {}) => {
    const timeoutMs = waitOptions.timeoutMs ?? 30_000;
    let index = waitOptions.after ?? 0;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        for (; index < lines.length; index++) {
          const match = pattern.exec(lines[index] ?? '');
          if (match !== null) {
            done();
            resolve(match);
            return;
          }
        }
        if (stdoutEnded) {
          done();
          void stderrRead().then(() => {
            reject(
              new TestingError(
                'PROCESS_EXITED',
                `spawnNode(${scriptPath}): output ended before a line matched ${String(pattern)}; stderr:\n${stderrTail}`,
              ),
            );
          });
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new TestingError(
            'TIMEOUT',
            `spawnNode(${scriptPath}): no line matched ${String(pattern)} within ${timeoutMs} ms; last lines:\n${lines.slice(-10).join('\n')}\nstderr:\n${stderrTail}`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        events.removeListener('line', check);
      };
      events.on('line', check);
      check();
    });
  };

  async function* stdoutLines(): AsyncGenerator<string> {
    let index = 0;
    const ac = new AbortController();
    const wakeUps = on(events, 'line', { signal: ac.signal });
    try {
      for (;;) {
        while (index < lines.length) yield lines[index++] ?? '';
        if (stdoutEnded) return;
        await wakeUps.next();
      }
    } finally {
      ac.abort();
    }
  }

  const kill = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitResult> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  const close = async (): Promise<void> => {
    await kill('SIGKILL');
  };

  return {
    child,
    lines,
    stdoutLines: { [Symbol.asyncIterator]: stdoutLines },
    stderr: () => stderrTail,
    waitForLine,
    kill,
    exited,
    close,
    [Symbol.asyncDispose]: close,
  };
}
