import type { Terminal } from './output/terminal.js';

/** A parsed option value: text, a flag, or what the option's `parse` returned. */
export type OptionValue = string | number | boolean | undefined;

/** Parsed option values of a command, by option name (as declared, e.g. `'out-dir'`). */
export type OptionValues = Readonly<Record<string, OptionValue>>;

/** One option of a command. Its help line, default and value check come from here. */
export interface OptionSpec {
  /** `'boolean'` for a flag, `'string'` for an option that takes a value. */
  readonly type: 'string' | 'boolean';
  /** One-letter alias, e.g. `'c'` for `-c`. */
  readonly short?: string;
  /** One line for `--help`. */
  readonly description: string;
  /** Name of the value in `--help`, e.g. `'url'` shows `--database <url>`. @defaultValue `'value'` */
  readonly value?: string;
  /** Value used when the option is absent; `--help` shows it. */
  readonly default?: string;
  /** The command fails with a usage error (exit 2) when this option is absent. */
  readonly required?: boolean;
  /**
   * Checks and converts a value; throw {@link OptionValueError} (or any error) with a message
   * saying what was expected, and the command exits 2 with it. The default is applied as given,
   * not through `parse`.
   */
  readonly parse?: (raw: string) => string | number;
}

/** Thrown by {@link OptionSpec.parse} for a value it does not accept. */
export class OptionValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptionValueError';
  }
}

/** One positional argument of a command. */
export interface ArgumentSpec {
  /** Its name in usage lines, e.g. `'id'` shows `<id>`. */
  readonly name: string;
  readonly description: string;
  /** @defaultValue `true` */
  readonly required?: boolean;
  /** Takes every remaining argument (only the last one may). */
  readonly variadic?: boolean;
}

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

/** One `fraiseql` command: its words, arguments, options, help text and implementation. */
export interface Command {
  /** The command words, e.g. `['dlq', 'list']`. */
  readonly path: readonly string[];
  /** One line for the command lists and the top of `--help`. */
  readonly summary: string;
  /** More text under the summary in `--help` (defaults, what it changes, what it needs). */
  readonly details?: string;
  /** Positional arguments, in order. @defaultValue none */
  readonly args?: readonly ArgumentSpec[];
  /** Options by name (`--json` and `--help` are added to every command). */
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** Whole command lines shown under "Examples:" in `--help`. */
  readonly examples: readonly string[];
  /** Resolves to the exit code (0 unless the command reports a failure it printed). */
  run(context: CommandContext): Promise<number>;
}
