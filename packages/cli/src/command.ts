import type { ParseArgsConfig } from 'node:util';
import type { Terminal } from './output/terminal.js';

/** Parsed option values of a command. */
export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

/** What a command receives. */
export interface CommandContext {
  readonly values: OptionValues;
  readonly positionals: readonly string[];
  readonly terminal: Terminal;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** `--json` was given: print one JSON document on standard output and nothing else there. */
  readonly json: boolean;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
}

/** One `fraiseql` command: its words, options, help text and implementation. */
export interface Command {
  /** The command words, e.g. `['dlq', 'list']`. */
  readonly path: readonly string[];
  readonly summary: string;
  /** Positional arguments as shown in the usage line, e.g. `<id>`. */
  readonly args?: string;
  readonly options?: NonNullable<ParseArgsConfig['options']>;
  /** Option descriptions for `--help`, by option name. */
  readonly optionHelp?: Readonly<Record<string, string>>;
  readonly examples: readonly string[];
  /** Least and most positional arguments. @defaultValue `[0, 0]` */
  readonly arity?: readonly [number, number];
  /** Resolves to the exit code (0 unless the command reports a failure it printed). */
  run(context: CommandContext): Promise<number>;
}
