import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Command, CommandContext } from './command.js';
import { commands } from './commands/commands.js';
import { messageOf } from './context/open-database.js';
import { CliError, exitCodeOf } from './errors.js';
import { processTerminal, styles, type Terminal } from './output/terminal.js';

/** Options of {@link run}. */
export interface RunOptions {
  /** @defaultValue the terminal of this process */
  readonly terminal?: Terminal;
  /** @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @defaultValue `process.cwd()` */
  readonly cwd?: string;
  /** Cancels the running command. */
  readonly signal?: AbortSignal;
}

const COMMON: NonNullable<ParseArgsConfig['options']> = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
};

/**
 * Runs the `fraiseql` command with `argv` (without the node and script paths) and resolves to
 * its exit code: 0 ok, 1 failure, 2 usage. Errors are printed on standard error, never thrown.
 */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const terminal = options.terminal ?? processTerminal();
  const paint = styles(terminal.color);
  const words = argv.filter((arg) => !arg.startsWith('-'));
  const command = findCommand(words);
  if (command === undefined) {
    if (argv.length === 0 || argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') {
      terminal.out(generalHelp(words));
      return 0;
    }
    if (argv.includes('--version')) {
      const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
        version: string;
      };
      terminal.out(`fraiseql ${pkg.version}\n`);
      return 0;
    }
    terminal.err(
      `${paint.red('error:')} unknown command "${words.join(' ')}"\n\n${generalHelp(words)}`,
    );
    return 2;
  }
  try {
    const parsed = parseArgs({
      args: argv.slice(indexAfter(argv, command.path)),
      options: { ...COMMON, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    if (parsed.values.help === true) {
      terminal.out(commandHelp(command));
      return 0;
    }
    const [least, most] = command.arity ?? [0, 0];
    if (parsed.positionals.length < least || parsed.positionals.length > most) {
      throw new CliError(
        'USAGE',
        `expected ${least === most ? String(least) : `${String(least)} to ${String(most)}`} argument(s) ${command.args ?? ''}, got ${String(parsed.positionals.length)}`,
      );
    }
    const context: CommandContext = {
      values: parsed.values as CommandContext['values'],
      positionals: parsed.positionals,
      terminal,
      env: options.env ?? process.env,
      cwd: options.cwd ?? process.cwd(),
      json: parsed.values.json === true,
      signal: options.signal ?? new AbortController().signal,
    };
    return await command.run(context);
  } catch (error) {
    const usage = isUsageError(error);
    terminal.err(`${paint.red('error:')} ${messageOf(error)}\n`);
    if (usage) terminal.err(`\n${commandHelp(command)}`);
    return usage ? 2 : exitCodeOf(error);
  }
}

function isUsageError(error: unknown): boolean {
  if (exitCodeOf(error) === 2) return true;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

function findCommand(words: readonly string[]): Command | undefined {
  let best: Command | undefined;
  for (const command of commands) {
    const matches = command.path.every((word, index) => words[index] === word);
    if (matches && (best === undefined || command.path.length > best.path.length)) best = command;
  }
  return best;
}

// The index in argv just after the last command word (options may not come before them).
function indexAfter(argv: readonly string[], path: readonly string[]): number {
  let index = 0;
  for (const word of path) index = argv.indexOf(word, index) + 1;
  return index;
}

function generalHelp(words: readonly string[]): string {
  const listed = commands.filter((command) =>
    words.every((word, index) => command.path[index] === word || words[0] === 'help'),
  );
  const shown = listed.length > 0 ? listed : commands;
  const width = Math.max(...shown.map((command) => command.path.join(' ').length));
  return [
    'Usage: fraiseql <command> [options]',
    '',
    'Commands:',
    ...shown.map((command) => `  ${command.path.join(' ').padEnd(width)}  ${command.summary}`),
    '',
    'Every read command takes --json. Run `fraiseql <command> --help` for its options and examples.',
    'Exit codes: 0 ok, 1 failure, 2 usage error.',
    '',
  ].join('\n');
}

/** The `--help` text of one command. */
export function commandHelp(command: Command): string {
  const options = Object.entries({ ...command.options, ...COMMON });
  const help: Readonly<Record<string, string>> = {
    help: 'show this help',
    json: 'print JSON on standard output',
    ...command.optionHelp,
  };
  const names = options.map(([name, option]) => {
    const short = option.short === undefined ? '    ' : `-${option.short}, `;
    return `${short}--${name}${option.type === 'string' ? ' <value>' : ''}`;
  });
  const width = Math.max(...names.map((name) => name.length));
  return [
    `Usage: fraiseql ${command.path.join(' ')}${command.args === undefined ? '' : ` ${command.args}`} [options]`,
    '',
    command.summary,
    '',
    'Options:',
    ...options.map(
      ([name], index) => `  ${(names[index] ?? '').padEnd(width)}  ${help[name] ?? ''}`,
    ),
    '',
    'Examples:',
    ...command.examples.map((example) => `  $ ${example}`),
    '',
  ].join('\n');
}
