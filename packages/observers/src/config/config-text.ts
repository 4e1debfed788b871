import { TomlError, parse as parseToml } from 'smol-toml';
import {
  parseTree,
  printParseErrorCode,
  type Node as JsonNode,
  type ParseError,
  type ParseErrorCode,
} from 'jsonc-parser';
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

/**
 * JSON with positions: every syntax error with its line, duplicate keys refused (JSON.parse
 * would keep the last one silently), and the line of every path. The value is built with
 * own properties only, so a `__proto__` key is data, never a prototype.
 */
function parseJson(text: string): ConfigText {
  const starts = [0];
  for (let i = 0; i < text.length; i += 1) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  const lineAt = (offset: number): number => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
  const parseErrors: ParseError[] = [];
  const root = parseTree(text, parseErrors, {
    disallowComments: true,
    allowTrailingComma: false,
    allowEmptyContent: false,
  });
  const syntaxErrors: { message: string; line: number }[] = parseErrors.map((error) => ({
    message: `JSON syntax: ${describeJsonError(error.error)}`,
    line: lineAt(error.offset),
  }));
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    let node = root;
    let line = node === undefined ? undefined : lineAt(node.offset);
    for (const segment of path) {
      if (node?.type === 'object') {
        const property = node.children?.find(
          (child) => child.children?.[0]?.value === String(segment),
        );
        if (property === undefined) return line;
        line = lineAt(property.offset);
        node = property.children?.[1];
      } else if (node?.type === 'array' && typeof segment === 'number') {
        const item = node.children?.[segment];
        if (item === undefined) return line;
        line = lineAt(item.offset);
        node = item;
      } else {
        return line;
      }
    }
    return line;
  };
  if (root === undefined || syntaxErrors.length > 0) {
    return {
      value: undefined,
      syntaxErrors:
        syntaxErrors.length > 0 ? syntaxErrors : [{ message: 'JSON syntax: the file is empty' }],
      lineOf,
    };
  }
  const duplicates: { message: string; line: number }[] = [];
  const value = jsonValue(root, [], (path, key, offset) => {
    duplicates.push({
      message: `JSON: duplicate key ${JSON.stringify(key)}${path.length === 0 ? '' : ` in ${path.join('.')}`} (each key may appear once)`,
      line: lineAt(offset),
    });
  });
  return duplicates.length > 0
    ? { value: undefined, syntaxErrors: duplicates, lineOf }
    : { value, syntaxErrors: [], lineOf };
}

/** The value of a JSON tree, walked with an explicit stack (no recursion depth limit). */
function jsonValue(
  root: JsonNode,
  rootPath: readonly string[],
  onDuplicate: (path: readonly string[], key: string, offset: number) => void,
): unknown {
  const scalar = (node: JsonNode): unknown =>
    node.type === 'null' ? null : (node.value as unknown);
  if (root.type !== 'object' && root.type !== 'array') return scalar(root);
  const container = (node: JsonNode): Record<string, unknown> | unknown[] =>
    node.type === 'array' ? [] : {};
  const top = container(root);
  const stack: { node: JsonNode; into: Record<string, unknown> | unknown[]; path: string[] }[] = [
    { node: root, into: top, path: [...rootPath] },
  ];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const { node, into, path } = frame;
    const children = node.children ?? [];
    children.forEach((child, index) => {
      let key: string;
      let valueNode: JsonNode | undefined;
      if (node.type === 'object') {
        key = String(child.children?.[0]?.value);
        valueNode = child.children?.[1];
        if (Object.hasOwn(into, key)) onDuplicate(path, key, child.offset);
      } else {
        key = String(index);
        valueNode = child;
      }
      if (valueNode === undefined) return;
      const value =
        valueNode.type === 'object' || valueNode.type === 'array'
          ? container(valueNode)
          : scalar(valueNode);
      Object.defineProperty(into, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      if (typeof value === 'object' && value !== null) {
        stack.push({
          node: valueNode,
          into: value as Record<string, unknown>,
          path: [...path, key],
        });
      }
    });
  }
  return top;
}

function describeJsonError(code: ParseErrorCode): string {
  const text = printParseErrorCode(code);
  // `PropertyNameExpected` → `property name expected`
  return text.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
