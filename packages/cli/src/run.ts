import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import type { Command } from './command.js';
import { commandGroups, commands } from './commands/commands.js';
import { messageOf } from './context/open-database.js';
import { exitCodeOf } from './errors.js';
import { processTerminal, styles, type Terminal } from './output/terminal.js';
import { createProgram, type Invocation } from './program.js';

/** Options of {@link run}. */
export interface RunOptions {
  /** @defaultValue the terminal of this process */
  readonly terminal?: Terminal | undefined;
  /** @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** @defaultValue `process.cwd()` */
  readonly cwd?: string | undefined;
  /** Cancels the running command. */
  readonly signal?: AbortSignal | undefined;
}

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/**
 * Runs the `fraiseql` command with `argv` (without the node and script paths) and resolves to
 * its exit code: 0 ok, 1 failure, 2 usage. Errors are printed on standard error, never thrown.
 */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const terminal = options.terminal ?? processTerminal();
  const paint = styles(terminal.color);
  let invocation: Invocation | undefined;
  const program = createProgram(
    commands,
    commandGroups,
    {
      terminal,
      env: options.env ?? process.env,
      cwd: options.cwd ?? process.cwd(),
      signal: options.signal ?? new AbortController().signal,
      version: VERSION,
    },
    (parsed) => {
      invocation = parsed;
    },
  );
  if (argv.length === 0) {
    terminal.out(program.helpInformation());
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    // Commander printed its message (and the help after a mistake) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    terminal.err(`${paint.red('error:')} ${messageOf(error)}\n`);
    return 1;
  }
  if (invocation === undefined) return 0;
  try {
    return await invocation.command.run(invocation.context);
  } catch (error) {
    const code = exitCodeOf(error);
    terminal.err(`${paint.red('error:')} ${messageOf(error)}\n`);
    if (code === 2) {
      terminal.err('\n');
      invocation.printHelp();
    }
    return code;
  }
}

/** The `--help` text of one command, as `fraiseql <command> --help` prints it. */
export function commandHelp(command: Command): string {
  let help = '';
  const capture: Terminal = {
    out: (text) => {
      help += text;
    },
    err: () => undefined,
    interactive: false,
    color: false,
  };
  const program = createProgram(
    [command],
    commandGroups,
    {
      terminal: capture,
      env: {},
      cwd: '.',
      signal: new AbortController().signal,
      version: VERSION,
    },
    () => undefined,
  );
  let node = program;
  for (const word of command.path) {
    node = node.commands.find((sub) => sub.name() === word) ?? node;
  }
  node.outputHelp();
  return help;
}
