import type { CommandContext } from '../command.js';

/** Prints `data` as JSON with `--json`, else the human form `text()` builds. */
export function print(context: CommandContext, data: unknown, text: () => string): void {
  context.terminal.out(context.json ? `${JSON.stringify(data, jsonReplacer, 2)}\n` : text());
}

/** JSON replacer writing bigints as strings (the JSON form of a sequence). */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
