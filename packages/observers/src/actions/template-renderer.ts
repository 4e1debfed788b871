import type { EntityEvent, JsonValue } from '@fraiseql/core';

/** Options for rendering one text template. */
export interface RenderTextOptions {
  /** Applied to every substituted value (not to the literal text), e.g. glob escaping. */
  readonly escape?: ((value: string) => string) | undefined;
}

/**
 * How actions fill `{{ path }}` templates from an event. Implementations compile each template
 * once and throw an `ObserverError` with code `TEMPLATE_ERROR` naming the path on failure.
 */
export interface TemplateRenderer {
  /** Renders a text template; substituted values are stringified. */
  text(template: string, event: EntityEvent, options?: RenderTextOptions): string;
  /** Renders a JSON template: a string that is a single `{{ path }}` keeps the value's JSON type. */
  json(template: JsonValue, event: EntityEvent): JsonValue;
}
