import type { JsonValue } from '@fraiseql/core';

import { compileTemplate } from './compile-template.js';
import type { TemplateScope } from './template-scope.js';

/** A JSON template compiled once. */
export interface CompiledJsonTemplate {
  /**
   * Renders the template. A string that is one placeholder (`"{{ data.total }}"`) keeps the
   * JSON type of the value; other strings render as text; keys are kept as written.
   *
   * @throws {ObserverError} `TEMPLATE_ERROR` (permanent) naming a path missing from the scope.
   */
  render(scope: TemplateScope): JsonValue;
}

type Renderer = (scope: TemplateScope) => JsonValue;

/**
 * Compiles any JSON value whose strings are templates (a webhook body, Slack blocks).
 *
 * @throws {ObserverError} `TEMPLATE_ERROR` for a malformed placeholder anywhere in the value.
 */
export function compileJsonTemplate(template: JsonValue): CompiledJsonTemplate {
  const render = compileNode(template);
  return Object.freeze({ render });
}

function compileNode(node: JsonValue): Renderer {
  if (typeof node === 'string') {
    if (!node.includes('{{')) return () => node;
    const compiled = compileTemplate(node);
    const single = compiled.single;
    if (single !== undefined) return (scope) => toJson(single(scope));
    return (scope) => compiled.render(scope);
  }
  if (Array.isArray(node)) {
    const items = node.map(compileNode);
    return (scope) => items.map((item) => item(scope));
  }
  if (node !== null && typeof node === 'object') {
    const entries = Object.entries(node).map(([key, value]) => [key, compileNode(value)] as const);
    return (scope) => {
      const out: Record<string, JsonValue> = {};
      for (const [key, value] of entries) out[key] = value(scope);
      return out;
    };
  }
  return () => node;
}

function toJson(value: unknown): JsonValue {
  // Scope values come from the event JSON, so they are JSON already.
  return value === undefined ? null : (value as JsonValue);
}
