import { ObserverError } from '../errors.js';
import { TEMPLATE_ROOTS, type TemplateScope } from './template-scope.js';

/** Options for rendering a text template. */
export interface TemplateRenderOptions {
  /** Applied to every substituted value (not to the literal text), e.g. glob escaping. */
  readonly escape?: ((value: string) => string) | undefined;
}

/** A text template compiled once: literal parts and placeholders. */
export interface CompiledTemplate {
  readonly source: string;
  /** Paths the placeholders name, in order. */
  readonly paths: readonly string[];
  /**
   * Fills the placeholders: strings as they are, numbers and booleans as text, objects and
   * arrays as JSON, `null` as the empty string.
   *
   * @throws {ObserverError} `TEMPLATE_ERROR` (permanent) naming a path missing from the scope.
   */
  render(scope: TemplateScope, options?: TemplateRenderOptions): string;
  /** The value of a template that is one placeholder and nothing else, else undefined. */
  readonly single?: (scope: TemplateScope) => unknown;
}

type Part = string | ((scope: TemplateScope) => unknown);

const PLACEHOLDER = /\\\{\{|\{\{([^}]*)\}\}/g;
const PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|\d+))*$/;
const FILTER =
  /^(default|json|urlencode)\s*(?:\(\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)\s*\))?$/;

/**
 * Compiles a template such as `Order {{ entityId }} is {{ data.status | default('new') }}`.
 * Placeholders hold a dotted path from {@link TEMPLATE_ROOTS} and optional filters:
 * `default(<literal>)` (used when the value is missing or null), `json` (JSON text of the
 * value) and `urlencode`. Write `\{{` for literal braces.
 *
 * @throws {ObserverError} `TEMPLATE_ERROR` for an unknown root, a bad path or filter, or an
 *   unclosed `{{`.
 */
export function compileTemplate(source: string): CompiledTemplate {
  const parts: Part[] = [];
  const paths: string[] = [];
  let last = 0;
  let literal = '';
  const addLiteral = (start: number, end: number): void => {
    const text = source.slice(start, end);
    const open = text.indexOf('{{');
    if (open !== -1) throw templateError(`unclosed '{{' at column ${start + open + 1}`, source);
    literal += text;
  };
  for (const match of source.matchAll(PLACEHOLDER)) {
    addLiteral(last, match.index);
    last = match.index + match[0].length;
    if (match[1] === undefined) {
      literal += '{{';
      continue;
    }
    if (literal !== '') parts.push(literal);
    literal = '';
    const { path, read } = compilePlaceholder(match[1], source, match.index);
    paths.push(path);
    parts.push(read);
  }
  addLiteral(last, source.length);
  if (literal !== '') parts.push(literal);
  const [only] = parts;
  const single = parts.length === 1 && typeof only === 'function' ? only : undefined;
  return Object.freeze({
    source,
    paths,
    render(scope: TemplateScope, options?: TemplateRenderOptions): string {
      const escape = options?.escape;
      let out = '';
      for (const part of parts) {
        if (typeof part === 'string') {
          out += part;
        } else {
          const text = stringify(part(scope));
          out += escape === undefined ? text : escape(text);
        }
      }
      return out;
    },
    ...(single === undefined ? {} : { single }),
  });
}

function compilePlaceholder(
  body: string,
  source: string,
  offset: number,
): { path: string; read: (scope: TemplateScope) => unknown } {
  const [rawPath = '', ...rawFilters] = body.split('|').map((piece) => piece.trim());
  const column = offset + 1;
  if (!PATH.test(rawPath)) {
    throw templateError(
      `expected a dotted path in '{{${body}}}' at column ${column}, got ${JSON.stringify(rawPath)}`,
      source,
    );
  }
  const segments = rawPath.split('.');
  const root = segments[0] ?? '';
  if (!TEMPLATE_ROOTS.includes(root)) {
    throw templateError(
      `unknown template root '${root}' at column ${column} (known: ${TEMPLATE_ROOTS.join(', ')})`,
      source,
    );
  }
  let fallback: { value: unknown } | undefined;
  const transforms: ((value: unknown) => unknown)[] = [];
  for (const filter of rawFilters) {
    const parsed = FILTER.exec(filter);
    if (parsed === null) {
      throw templateError(
        `unknown filter '${filter}' at column ${column} (known: default(<value>), json, urlencode)`,
        source,
      );
    }
    const [, name, argument] = parsed;
    if (name === 'default') {
      if (argument === undefined) {
        throw templateError(`default needs a value, as in default('') at column ${column}`, source);
      }
      fallback = { value: parseLiteral(argument) };
    } else if (name === 'json') {
      transforms.push((value) => JSON.stringify(value));
    } else {
      transforms.push((value) => encodeURIComponent(stringify(value)));
    }
  }
  const read = (scope: TemplateScope): unknown => {
    let value: unknown = scope;
    for (const segment of segments) {
      if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) {
        value = undefined;
        break;
      }
      value = (value as Record<string, unknown>)[segment];
    }
    if (value === undefined || (value === null && fallback !== undefined)) {
      if (fallback === undefined) throw missingPath(rawPath);
      value = fallback.value;
    }
    for (const transform of transforms) value = transform(value);
    return value;
  };
  return { path: rawPath, read };
}

function parseLiteral(text: string): unknown {
  if (text.startsWith("'")) {
    return text.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return JSON.parse(text) as unknown;
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function missingPath(path: string): ObserverError {
  return new ObserverError(
    'TEMPLATE_ERROR',
    `template path '${path}' is missing from the event (write {{ ${path} | default('') }} to allow that)`,
    { retryable: false, errorType: 'template', details: { path } },
  );
}

function templateError(message: string, source: string): ObserverError {
  return new ObserverError('TEMPLATE_ERROR', message, {
    retryable: false,
    errorType: 'template',
    details: { source },
  });
}
