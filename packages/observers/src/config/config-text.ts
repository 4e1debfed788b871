import { TomlError, parse as parseToml } from 'smol-toml';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';

import { tomlLineIndex } from './toml-line-index.js';

/** Config file formats. */
export type ConfigFormat = 'yaml' | 'toml' | 'json';

/** A config file's text read into a value, with a way back from paths to lines. */
export interface ConfigText {
  /** The parsed value; undefined when the text has syntax errors. */
  readonly value: unknown;
  /** Syntax errors (1-based lines), all of them where the parser reports several. */
  readonly syntaxErrors: readonly { readonly message: string; readonly line?: number }[];
  /** 1-based line of the value at `path` (or of its nearest parent that is in the file). */
  readonly lineOf: (path: readonly PropertyKey[]) => number | undefined;
}

/** The format of a file from its extension (`.yaml`/`.yml`, `.toml`, `.json`), or undefined. */
export function configFormatOf(fileName: string): ConfigFormat | undefined {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  if (lower.endsWith('.toml')) return 'toml';
  if (lower.endsWith('.json')) return 'json';
  return undefined;
}

/** Parses config text of a format, keeping line information. */
export function parseConfigText(text: string, format: ConfigFormat): ConfigText {
  switch (format) {
    case 'yaml':
      return parseYaml(text);
    case 'toml':
      return parseTomlText(text);
    case 'json':
      return parseJson(text);
  }
}

function parseYaml(text: string): ConfigText {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    let node: unknown = doc.contents;
    let line = node === null ? undefined : rangeLine(node, lineAt);
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (pair === undefined) return line;
        line = rangeLine(pair.key, lineAt) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item: unknown = node.items[segment];
        if (item === undefined) return line;
        line = rangeLine(item, lineAt) ?? line;
        node = item;
      } else {
        return line;
      }
    }
    return line;
  };
  if (doc.errors.length > 0) {
    return {
      value: undefined,
      syntaxErrors: doc.errors.map((error) => ({
        message: `YAML syntax: ${(error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
        line: lineAt(error.pos[0]),
      })),
      lineOf,
    };
  }
  return { value: doc.toJS({ maxAliasCount: 100 }) as unknown, syntaxErrors: [], lineOf };
}

function rangeLine(node: unknown, lineAt: (offset: number) => number): number | undefined {
  const range = (node as Partial<YamlNode> | null)?.range;
  return range === undefined || range === null ? undefined : lineAt(range[0]);
}

function parseTomlText(text: string): ConfigText {
  const index = tomlLineIndex(text);
  try {
    return { value: parseToml(text), syntaxErrors: [], lineOf: index };
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const message = (error.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
    return {
      value: undefined,
      syntaxErrors: [{ message: `TOML syntax: ${message}`, line: error.line }],
      lineOf: index,
    };
  }
}

function parseJson(text: string): ConfigText {
  // JSON is YAML 1.2, so the YAML parser gives the line of every path.
  const located = parseYaml(text);
  try {
    return { value: JSON.parse(text) as unknown, syntaxErrors: [], lineOf: located.lineOf };
  } catch (error) {
    const line = located.syntaxErrors[0]?.line;
    const message = `JSON syntax: ${(error as Error).message.split('\n')[0] ?? ''}`;
    return {
      value: undefined,
      syntaxErrors: [line === undefined ? { message } : { message, line }],
      lineOf: located.lineOf,
    };
  }
}
