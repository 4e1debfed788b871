import type { EntityEvent, JsonValue } from '@fraiseql/core';

import type { TemplateContext } from '../templates/template-context.js';

/** Options for rendering one text template. */
export interface RenderTextOptions {
  /**
   * Where the text goes; substituted values are escaped for it (see {@link TemplateContext}).
   * @defaultValue `'text'`
   */
  readonly context?: TemplateContext;
  /** Applied to every substituted value (not to the literal text), e.g. glob escaping. */
  readonly escape?: ((value: string) => string) | undefined;
}

/** Options for rendering one JSON template. */
export interface RenderJsonOptions {
  /** Escaping of every substituted string (`slack` for Block Kit). @defaultValue `'text'` */
  readonly context?: Exclude<TemplateContext, 'json'>;
}

/**
 * How actions fill `{{ path }}` templates from an event. Implementations compile each template
 * once and throw an `ObserverError` with code `TEMPLATE_ERROR` naming the path on failure.
 */
export interface TemplateRenderer {
  /** Renders a text template; substituted values are stringified and escaped for the context. */
  text(template: string, event: EntityEvent, options?: RenderTextOptions): string;
  /** Renders a JSON template: a string that is a single `{{ path }}` keeps the value's JSON type. */
  json(template: JsonValue, event: EntityEvent, options?: RenderJsonOptions): JsonValue;
}
