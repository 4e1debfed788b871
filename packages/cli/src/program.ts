import { Command as Commander, InvalidArgumentError, Option, type HelpContext } from 'commander';
import type { ArgumentSpec, Command, CommandContext, OptionSpec } from './command.js';
import { messageOf } from './context/open-database.js';
import { styles, type Terminal } from './output/terminal.js';

/** What the commands of a program run with, apart from their parsed arguments. */
export interface ProgramEnvironment {
  readonly terminal: Terminal;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly signal: AbortSignal;
  readonly version: string;
}

/** A parsed command line, ready to run. */
export interface Invocation {
  readonly command: Command;
  readonly context: CommandContext;
  /** Prints the help of the command on standard error (after a usage error). */
  readonly printHelp: () => void;
}

const JSON_HELP = 'print one JSON document on standard output';

/**
 * Builds the commander program of `commands`. Parsing calls `onInvoke` with the command and its
 * context instead of running it, so the caller decides how errors become exit codes. Command
 * groups (`dlq`, `queue dlq`, …) are created from the command paths, described by `groups`.
 */
export function createProgram(
  commands: readonly Command[],
  groups: Readonly<Record<string, string>>,
  environment: ProgramEnvironment,
  onInvoke: (invocation: Invocation) => void,
): Commander {
  const paint = styles(environment.terminal.color);
  let errorShown = false;
  const program = new Commander('fraiseql')
    .description(
      'FraiseQL for Node: change-log migrations, projections, observers, dead letters and the job queue',
    )
    .usage('<command> [options]')
    .version(`fraiseql ${environment.version}`, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .helpCommand('help [command]', 'show the help of a command')
    .addOption(new Option('--json', JSON_HELP).hideHelp())
    .enablePositionalOptions()
    .exitOverride()
    .showHelpAfterError()
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (text) => {
        environment.terminal.out(text);
      },
      writeErr: (text) => {
        environment.terminal.err(text);
      },
      outputError: (text, write) => {
        errorShown = true;
        write(text.replace(/^error:/, paint.red('error:')));
      },
      getOutHasColors: () => environment.terminal.color,
      getErrHasColors: () => environment.terminal.color,
    })
    .configureHelp({
      visibleCommands: (cmd) => leavesOf(cmd),
      subcommandTerm: (cmd) => [...pathOf(cmd), ...argumentTerms(cmd)].join(' '),
      styleTitle: (title) => paint.bold(title),
      sortSubcommands: false,
    });
  program.addHelpText(
    'after',
    [
      '',
      'Every command takes --json (one JSON document on standard output) and --help (its options',
      'and examples). Exit codes: 0 ok, 1 failure, 2 usage error.',
    ].join('\n'),
  );
  // A group run without a subcommand prints its help as an error: say what is missing first.
  const missingCommand = (context: HelpContext & { command: Commander }): string =>
    context.error && !errorShown
      ? `${paint.red('error:')} missing command: ${['fraiseql', ...pathOf(context.command)].join(' ')} <command>\n\n`
      : '';
  program.addHelpText('before', missingCommand);

  const nodes = new Map<string, Commander>([['', program]]);
  const groupOf = (path: readonly string[]): Commander => {
    const key = path.join(' ');
    const known = nodes.get(key);
    if (known !== undefined) return known;
    const parent = groupOf(path.slice(0, -1));
    const group = parent
      .command(path.at(-1) ?? '')
      .description(groups[key] ?? `${key} commands`)
      .usage('<command> [options]')
      .helpCommand(false);
    group.addHelpText('before', missingCommand);
    nodes.set(key, group);
    return group;
  };

  for (const command of commands) {
    const parent = groupOf(command.path.slice(0, -1));
    const leaf = parent
      .command(command.path.at(-1) ?? '')
      .summary(command.summary)
      .description(
        command.details === undefined
          ? command.summary
          : `${command.summary}\n\n${command.details}`,
      )
      .usage([...(command.args ?? []).map(argumentTerm), '[options]'].join(' '))
      // Checked below, to name the command and the extra words.
      .allowExcessArguments();
    for (const arg of command.args ?? []) leaf.argument(argumentTerm(arg), arg.description);
    for (const [name, spec] of Object.entries(command.options ?? {})) {
      leaf.addOption(optionOf(name, spec));
    }
    leaf.addOption(new Option('--json', JSON_HELP));
    if (command.examples.length > 0) {
      leaf.addHelpText(
        'after',
        `\n${paint.bold('Examples:')}\n${command.examples.map((example) => `  $ ${example}`).join('\n')}\n`,
      );
    }
    leaf.action((...received: unknown[]) => {
      const cmd = received.at(-1) as Commander;
      const excess = excessArguments(command, cmd.args);
      if (excess !== undefined)
        cmd.error(excess, { exitCode: 2, code: 'commander.excessArguments' });
      const parsed = cmd.opts<Record<string, CommandContext['values'][string]>>();
      const values: Record<string, CommandContext['values'][string]> = {};
      for (const option of cmd.options) {
        const name = option.long?.replace(/^--/, '') ?? option.attributeName();
        values[name] = parsed[option.attributeName()];
      }
      onInvoke({
        command,
        printHelp: () => {
          cmd.outputHelp({ error: true });
        },
        context: {
          values,
          positionals: cmd.processedArgs.flat().filter((arg): arg is string => arg !== undefined),
          terminal: environment.terminal,
          env: environment.env,
          cwd: environment.cwd,
          json: values.json === true || program.opts().json === true,
          signal: environment.signal,
        },
      });
    });
  }
  return program;
}

function excessArguments(command: Command, given: readonly string[]): string | undefined {
  const args = command.args ?? [];
  if (args.some((arg) => arg.variadic === true) || given.length <= args.length) return undefined;
  const name = ['fraiseql', ...command.path].join(' ');
  const extra = given.slice(args.length).map((word) => JSON.stringify(word));
  const takes =
    args.length === 0
      ? 'takes no arguments'
      : `takes at most ${String(args.length)} argument(s) (${args.map(argumentTerm).join(' ')})`;
  return `error: ${name} ${takes}; remove ${extra.join(' ')}`;
}

function argumentTerm(arg: ArgumentSpec): string {
  const name = `${arg.name}${arg.variadic === true ? '...' : ''}`;
  return arg.required === false ? `[${name}]` : `<${name}>`;
}

function optionOf(name: string, spec: OptionSpec): Option {
  const flags = `${spec.short === undefined ? '' : `-${spec.short}, `}--${name}${
    spec.type === 'string' ? ` <${spec.value ?? 'value'}>` : ''
  }`;
  const option = new Option(flags, spec.description);
  if (spec.default !== undefined) option.default(spec.default);
  if (spec.required === true) option.makeOptionMandatory();
  const parse = spec.parse;
  if (parse !== undefined) {
    option.argParser((raw: string) => {
      try {
        return parse(raw);
      } catch (error) {
        throw new InvalidArgumentError(messageOf(error));
      }
    });
  }
  return option;
}

/** The command words of `cmd` below the program, e.g. `['queue', 'dlq', 'list']`. */
function pathOf(cmd: Commander): string[] {
  const words: string[] = [];
  for (let node = cmd; node.parent !== null; node = node.parent) words.unshift(node.name());
  return words;
}

// Lists show every runnable command below a group, so one `--help` shows them all.
function leavesOf(cmd: Commander): Commander[] {
  return cmd.commands.flatMap((sub) => (sub.commands.length === 0 ? [sub] : leavesOf(sub)));
}

function argumentTerms(cmd: Commander): string[] {
  return cmd.registeredArguments.map((arg) => {
    const name = `${arg.name()}${arg.variadic ? '...' : ''}`;
    return arg.required ? `<${name}>` : `[${name}]`;
  });
}
