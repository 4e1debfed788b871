// Runs one service binary on behalf of a test process and cleans up after it. The parent keeps
// this process's stdin open; when the parent ends in any way (including SIGKILL) the pipe
// closes, and the service is stopped and its temp dir removed, so no server outlives its suite.
//
// While the parent lives it may send lines on stdin: `stop <SIGNAL>` stops the server but keeps
// its data dir and this process (for restart tests), `start` starts it again. Each change is
// reported on stdout as `started <pid>` or `exited <code|signal>`.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ReaperConfig } from './reaper-config.js';

const config = JSON.parse(process.argv[2] ?? '{}') as ReaperConfig;

let server: ChildProcess | undefined;
let finishing = false;

// Once the parent is gone its end of stdout is closed; reports then go nowhere, and the
// write error must not stop the clean-up.
process.stdout.on('error', () => undefined);

function report(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * SIGKILL goes to the server's whole process group, as a crash would take it (PostgreSQL's
 * backends would otherwise outlive the postmaster and block a restart); other signals go to the
 * main process only, which shuts its children down itself.
 */
function signalServer(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(signal === 'SIGKILL' ? -child.pid : child.pid, signal);
  } catch {
    // already gone
  }
}

function startServer(): void {
  if (server !== undefined) {
    report(`started ${server.pid ?? 0}`);
    return;
  }
  const child = spawn(config.command, config.args, {
    cwd: config.cwd,
    env: { ...process.env, ...config.env },
    stdio: ['ignore', 2, 2],
    detached: true,
    ...(config.uid === undefined ? {} : { uid: config.uid }),
    ...(config.gid === undefined ? {} : { gid: config.gid }),
  });
  server = child;
  let gone = false;
  const onGone = (reason: string): void => {
    if (gone) return;
    gone = true;
    if (server === child) server = undefined;
    // Sweep anything left in the group (children of a server that died abruptly).
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // nothing left
      }
    }
    report(`exited ${reason}`);
    if (finishing) finish();
  };
  child.on('error', (error) => {
    process.stderr.write(`reaper: cannot run ${config.command}: ${error.message}\n`);
    onGone('error');
  });
  child.on('exit', (code, signal) => {
    onGone(signal ?? String(code));
  });
  if (child.pid !== undefined) report(`started ${child.pid}`);
}

function stopServer(signal: NodeJS.Signals): void {
  const child = server;
  if (child === undefined) {
    report('exited none');
    return;
  }
  signalServer(child, signal);
  if (signal !== 'SIGKILL') {
    setTimeout(() => {
      if (server === child) signalServer(child, 'SIGKILL');
    }, config.killAfterMs).unref();
  }
}

function finish(): void {
  if (config.removeDir !== undefined) {
    rmSync(config.removeDir, { recursive: true, force: true, maxRetries: 3 });
  }
  process.exit(0);
}

function shutDown(): void {
  if (finishing) return;
  finishing = true;
  if (server === undefined) finish();
  else stopServer(config.stopSignal);
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    const [command, argument] = line.trim().split(/\s+/);
    if (command === 'start' && !finishing) startServer();
    else if (command === 'stop' && !finishing) {
      stopServer((argument ?? config.stopSignal) as NodeJS.Signals);
    }
  })
  .on('close', shutDown);
process.on('SIGTERM', shutDown);
process.on('SIGINT', shutDown);
process.on('SIGHUP', shutDown);

startServer();
