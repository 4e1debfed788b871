import type { JsonValue } from '@fraiseql/core';

import { compileTemplate } from './compile-template.js';
import { escapeFor, type TemplateContext } from './template-context.js';
import type { TemplateScope } from './template-scope.js';

/** Options for rendering a JSON template. */
export interface JsonTemplateRenderOptions {
  /**
   * Escaping of substituted strings, for JSON whose strings are read as markup (`slack` for
   * Block Kit). Values keep their JSON type; every string they carry is escaped.
   * @defaultValue `'text'` (none: the JSON structure itself cannot be broken by a value)
   */
  readonly context?: Exclude<TemplateContext, 'json'>;
}

/** A JSON template compiled once. */
export interface CompiledJsonTemplate {
  /**
   * Renders the template. A string that is one placeholder (`"{{ data.total }}"`) keeps the
   * JSON type of the value; other strings render as text; keys are kept as written.
   *
   * @throws {ObserverError} `TEMPLATE_ERROR` (permanent) naming a path missing from the scope.
   */
  render(scope: TemplateScope, options?: JsonTemplateRenderOptions): JsonValue;
}

type Renderer = (scope: TemplateScope, context: Exclude<TemplateContext, 'json'>) => JsonValue;

/**
 * Compiles any JSON value whose strings are templates (a webhook body, Slack blocks).
 *
 * @throws {ObserverError} `TEMPLATE_ERROR` for a malformed placeholder anywhere in the value.
 */
export function compileJsonTemplate(template: JsonValue): CompiledJsonTemplate {
  const render = compileNode(template);
  return Object.freeze({
    render: (scope: TemplateScope, options?: JsonTemplateRenderOptions) =>
      render(scope, options?.context ?? 'text'),
  });
}

function compileNode(node: JsonValue): Renderer {
  if (typeof node === 'string') {
    if (!node.includes('{{')) return () => node;
    const compiled = compileTemplate(node);
    const single = compiled.single;
    if (single !== undefined) {
      const raw = compiled.singleRaw === true;
      return (scope, context) => {
        const value = toJson(single(scope));
        return raw || context === 'text' ? value : escapeStrings(value, context);
      };
    }
    return (scope, context) => compiled.render(scope, { context });
  }
  if (Array.isArray(node)) {
    const items = node.map(compileNode);
    return (scope, context) => items.map((item) => item(scope, context));
  }
  if (node !== null && typeof node === 'object') {
    const entries = Object.entries(node).map(([key, value]) => [key, compileNode(value)] as const);
    return (scope, context) => {
      const out: Record<string, JsonValue> = {};
      for (const [key, value] of entries) out[key] = value(scope, context);
      return out;
    };
  }
  return () => node;
}

function toJson(value: unknown): JsonValue {
  // Scope values come from the event JSON, so they are JSON already.
  return value === undefined ? null : (value as JsonValue);
}

/** A copy of `value` with every string (not keys) escaped, built without recursion. */
function escapeStrings(value: JsonValue, context: Exclude<TemplateContext, 'json'>): JsonValue {
  if (typeof value === 'string') return escapeFor(context, value);
  if (typeof value !== 'object' || value === null) return value;
  const root: JsonValue = Array.isArray(value) ? [] : {};
  const pending: [source: object, target: Record<string, JsonValue> | JsonValue[]][] = [
    [value, root],
  ];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [source, target] = next;
    for (const [key, item] of Object.entries(source) as [string, JsonValue][]) {
      let copy: JsonValue;
      if (typeof item === 'string') copy = escapeFor(context, item);
      else if (typeof item === 'object' && item !== null) {
        copy = Array.isArray(item) ? [] : {};
        pending.push([item, copy]);
      } else copy = item;
      (target as Record<string, JsonValue>)[key] = copy;
    }
  }
  return root;
}
