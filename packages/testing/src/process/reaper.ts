// Runs one service binary on behalf of a test process and cleans up after it. The parent keeps
// this process's stdin open; when the parent ends in any way (including SIGKILL) the pipe
// closes, and the service is stopped and its temp dir removed, so no server outlives its suite.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { ReaperConfig } from './reaper-config.js';

const config = JSON.parse(process.argv[2] ?? '{}') as ReaperConfig;

const child = spawn(config.command, config.args, {
  cwd: config.cwd,
  env: { ...process.env, ...config.env },
  stdio: ['ignore', 2, 2],
  ...(config.uid === undefined ? {} : { uid: config.uid }),
  ...(config.gid === undefined ? {} : { gid: config.gid }),
});

let stopping = false;

function removeDir(): void {
  if (config.removeDir !== undefined) {
    rmSync(config.removeDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  if (child.exitCode !== null || child.signalCode !== null) {
    removeDir();
    process.exit(0);
  }
  child.kill(config.stopSignal);
  setTimeout(() => child.kill('SIGKILL'), config.killAfterMs).unref();
}

child.on('error', (error) => {
  process.stderr.write(`reaper: cannot run ${config.command}: ${error.message}\n`);
  removeDir();
  process.exit(127);
});

child.on('exit', (code, signal) => {
  removeDir();
  if (!stopping) {
    process.stderr.write(`reaper: ${config.command} exited with ${signal ?? String(code)}\n`);
  }
  process.exit(stopping ? 0 : 1);
});

process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('SIGHUP', stop);
