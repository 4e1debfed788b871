import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = '../dist/bin/fraiseql.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `fraiseql` binary as a child process (no TTY, so plain output). */
export function runCli(
  args: readonly string[],
  options: {
    cwd?: string;
    env?: Record<string, string | undefined>;
    /** The script to run, relative to this file. @defaultValue the built binary */
    bin?: string;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [fileURLToPath(new URL(options.bin ?? BIN, import.meta.url)), ...args],
      {
        cwd: options.cwd ?? process.cwd(),
        env: { ...process.env, DATABASE_URL: undefined, NO_COLOR: '1', ...options.env },
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
