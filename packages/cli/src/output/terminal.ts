/** Where a command writes, and whether it may decorate its output. */
export interface Terminal {
  /** Writes to standard output. */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  /** Standard error is a TTY (progress bars are drawn there). */
  readonly interactive: boolean;
  /** Colours are allowed: standard output is a TTY and `NO_COLOR` is unset. */
  readonly color: boolean;
}

/** Carriage return and erase-line: a status line on a TTY is redrawn after it. */
const CLEAR_LINE = '\r\u001b[2K';

/** Replaces the status line on standard error with `text` (for an interactive terminal). */
export function redrawStatus(terminal: Terminal, text: string): void {
  terminal.err(`${CLEAR_LINE}${text}`);
}

/** Erases the status line on standard error (for an interactive terminal). */
export function clearStatus(terminal: Terminal): void {
  terminal.err(CLEAR_LINE);
}

/** The terminal of this process, honouring `NO_COLOR` and `FORCE_COLOR`. */
export function processTerminal(env: NodeJS.ProcessEnv = process.env): Terminal {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    interactive: process.stderr.isTTY,
    color: !noColor && (process.stdout.isTTY || (env.FORCE_COLOR ?? '') !== ''),
  };
}

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39] };

/** A colour function for each style, or identity when colours are off. */
export function styles(color: boolean): Record<keyof typeof CODES, (text: string) => string> {
  const make = ([open, close]: readonly number[]) =>
    color
      ? (text: string) => `\u001b[${String(open)}m${text}\u001b[${String(close)}m`
      : (text: string) => text;
  return {
    bold: make(CODES.bold),
    dim: make(CODES.dim),
    red: make(CODES.red),
    green: make(CODES.green),
    yellow: make(CODES.yellow),
  };
}
