import { stringifyJson } from '@fraiseql/core';

import { ObserverError } from '../errors.js';
import { escapeFor, quotedDisplayName, type TemplateContext } from './template-context.js';
import { TEMPLATE_ROOTS, type TemplateScope } from './template-scope.js';

/**
 * Longest template accepted, in characters. Compiling is linear in the length; the limit keeps
 * a config from holding megabytes of template per field.
 */
export const MAX_TEMPLATE_LENGTH = 65_536;

/** Options for rendering a text template. */
export interface TemplateRenderOptions {
  /**
   * Where the text goes: substituted values are escaped for it (`html` entities, Slack mrkdwn
   * `&<>`, `url` percent-encoding, `header` without control characters, `glob` escaping,
   * `json` text). A placeholder with the `raw` filter is inserted as it is.
   * @defaultValue `'text'` (no escaping)
   */
  readonly context?: TemplateContext | undefined;
  /** Applied to every substituted value after the context's escaping (not to `raw` ones). */
  readonly escape?: ((value: string) => string) | undefined;
}

/** A text template compiled once: literal parts and placeholders. */
export interface CompiledTemplate {
  readonly source: string;
  /** Paths the placeholders name, in order. */
  readonly paths: readonly string[];
  /**
   * Fills the placeholders: strings as they are, numbers and booleans as text, objects and
   * arrays as JSON, `null` as the empty string, each escaped for `options.context`.
   *
   * @throws {ObserverError} `TEMPLATE_ERROR` (permanent) naming a path missing from the scope.
   */
  render(scope: TemplateScope, options?: TemplateRenderOptions): string;
  /** The value of a template that is one placeholder and nothing else, else undefined. */
  readonly single?: (scope: TemplateScope) => unknown;
  /** True when the single placeholder carries the `raw` filter. */
  readonly singleRaw?: boolean;
}

interface Placeholder {
  readonly read: (scope: TemplateScope) => unknown;
  /** `| raw`: inserted without the context's escaping. */
  readonly raw: boolean;
  /** The last filter was `urlencode`: already safe in a URL. */
  readonly urlEncoded: boolean;
  /** The placeholder sits inside a JSON string literal of the template text. */
  readonly inJsonString: boolean;
}

type Part = string | Placeholder;

const PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|\d+))*$/;
const FILTER =
  /^(default|json|urlencode|raw)\s*(?:\(\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)\s*\))?$/;

/**
 * Compiles a template such as `Order {{ entityId }} is {{ data.status | default('new') }}`, in
 * time linear in its length. Placeholders hold a dotted path from {@link TEMPLATE_ROOTS} and
 * optional filters: `default(<literal>)` (used when the value is missing or null), `json` (JSON
 * text of the value), `urlencode`, and `raw` (no escaping for the rendering context: only for
 * trusted fields). Write `\{{` for literal braces.
 *
 * @throws {ObserverError} `TEMPLATE_ERROR` for an unknown root, a bad path or filter, an
 *   unclosed `{{`, or a template longer than {@link MAX_TEMPLATE_LENGTH}.
 */
export function compileTemplate(source: string): CompiledTemplate {
  if (source.length > MAX_TEMPLATE_LENGTH) {
    throw templateError(
      `template is ${source.length} characters long; the limit is ${MAX_TEMPLATE_LENGTH}`,
      source.slice(0, 80),
    );
  }
  const parts: Part[] = [];
  const paths: string[] = [];
  let literal = '';
  let inString = false;
  let escaped = false;
  // Tracks whether the text so far leaves us inside a JSON string literal, for `json` context.
  const addLiteral = (text: string): void => {
    literal += text;
    for (let i = 0; i < text.length; i += 1) {
      const char = text.charCodeAt(i);
      if (escaped) escaped = false;
      else if (inString && char === 0x5c) escaped = true;
      else if (char === 0x22) inString = !inString;
    }
  };
  let at = 0;
  for (;;) {
    const open = source.indexOf('{{', at);
    if (open === -1) {
      addLiteral(source.slice(at));
      break;
    }
    if (open > at && source.charCodeAt(open - 1) === 0x5c) {
      // `\{{`: literal braces, without the backslash.
      addLiteral(source.slice(at, open - 1));
      addLiteral('{{');
      at = open + 2;
      continue;
    }
    addLiteral(source.slice(at, open));
    const close = source.indexOf('}}', open + 2);
    if (close === -1) throw templateError(`unclosed '{{' at column ${open + 1}`, source);
    const body = source.slice(open + 2, close);
    if (body.includes('{{') || body.includes('}')) {
      throw templateError(`unclosed '{{' at column ${open + 1}`, source);
    }
    if (literal !== '') parts.push(literal);
    literal = '';
    const { path, read, raw, urlEncoded } = compilePlaceholder(body, source, open);
    paths.push(path);
    parts.push({ read, raw, urlEncoded, inJsonString: inString });
    at = close + 2;
  }
  if (literal !== '') parts.push(literal);
  const [only] = parts;
  const single = parts.length === 1 && typeof only === 'object' ? only : undefined;
  return Object.freeze({
    source,
    paths,
    render(scope: TemplateScope, options?: TemplateRenderOptions): string {
      const context = options?.context ?? 'text';
      const extra = options?.escape;
      let out = '';
      for (const part of parts) {
        if (typeof part === 'string') {
          out += part;
          continue;
        }
        const value = part.read(scope);
        if (part.raw) {
          out += stringifyValue(value);
          continue;
        }
        let text: string;
        if (context === 'address' && part.inJsonString) {
          text = quotedDisplayName(stringifyValue(value));
        } else if (context === 'json') {
          text = part.inJsonString
            ? JSON.stringify(stringifyValue(value)).slice(1, -1)
            : stringifyJson(value === undefined ? null : value);
        } else if (context === 'url' && part.urlEncoded) {
          text = stringifyValue(value);
        } else {
          text = escapeFor(context, stringifyValue(value));
        }
        out += extra === undefined ? text : extra(text);
      }
      return out;
    },
    ...(single === undefined ? {} : { single: single.read, singleRaw: single.raw }),
  });
}

function compilePlaceholder(
  body: string,
  source: string,
  offset: number,
): {
  path: string;
  read: (scope: TemplateScope) => unknown;
  raw: boolean;
  urlEncoded: boolean;
} {
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
  let raw = false;
  let urlEncoded = false;
  const transforms: ((value: unknown) => unknown)[] = [];
  for (const filter of rawFilters) {
    const parsed = FILTER.exec(filter);
    if (parsed === null) {
      throw templateError(
        `unknown filter '${filter}' at column ${column} (known: default(<value>), json, urlencode, raw)`,
        source,
      );
    }
    const [, name, argument] = parsed;
    urlEncoded = name === 'urlencode' || (urlEncoded && name === 'raw');
    if (name === 'default') {
      if (argument === undefined) {
        throw templateError(`default needs a value, as in default('') at column ${column}`, source);
      }
      fallback = { value: parseLiteral(argument) };
    } else if (name === 'raw') {
      raw = true;
    } else if (name === 'json') {
      transforms.push((value) => stringifyJson(value === undefined ? null : value));
    } else {
      transforms.push((value) => encodeURIComponent(stringifyValue(value)));
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
  return { path: rawPath, read, raw, urlEncoded };
}

function parseLiteral(text: string): unknown {
  if (text.startsWith("'")) {
    return text.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return JSON.parse(text) as unknown;
}

/** Text of a substituted value: strings as they are, scalars as text, containers as JSON. */
export function stringifyValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return stringifyJson(value);
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
