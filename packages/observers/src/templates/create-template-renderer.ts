import type { EntityEvent, JsonValue } from '@fraiseql/core';

import type {
  RenderJsonOptions,
  RenderTextOptions,
  TemplateRenderer,
} from '../actions/template-renderer.js';
import { compileJsonTemplate, type CompiledJsonTemplate } from './compile-json-template.js';
import { compileTemplate, type CompiledTemplate } from './compile-template.js';
import { templateScope } from './template-scope.js';

/**
 * A {@link TemplateRenderer} that compiles each template once (text templates by source,
 * JSON templates by object identity) and builds each event's scope once.
 *
 * @example createTemplateRenderer().text('Order {{ entityId }} shipped', event)
 */
export function createTemplateRenderer(): TemplateRenderer {
  const texts = new Map<string, CompiledTemplate>();
  const jsonObjects = new WeakMap<object, CompiledJsonTemplate>();
  return {
    text(template: string, event: EntityEvent, options?: RenderTextOptions): string {
      let compiled = texts.get(template);
      if (compiled === undefined) {
        compiled = compileTemplate(template);
        texts.set(template, compiled);
      }
      return compiled.render(templateScope(event), options);
    },
    json(template: JsonValue, event: EntityEvent, options?: RenderJsonOptions): JsonValue {
      if (template === null || typeof template !== 'object') {
        return compileJsonTemplate(template).render(templateScope(event), options);
      }
      let compiled = jsonObjects.get(template);
      if (compiled === undefined) {
        compiled = compileJsonTemplate(template);
        jsonObjects.set(template, compiled);
      }
      return compiled.render(templateScope(event), options);
    },
  };
}
