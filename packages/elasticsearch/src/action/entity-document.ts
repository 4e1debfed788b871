import type { EntityEvent, JsonObject, JsonValue } from '@fraiseql/core';
import { ObserverError, type TemplateRenderer } from '@fraiseql/observers';

import type { SearchActionConfig } from './search-action-schema.js';

/**
 * The entity document for an event: the rendered `document` template, the selected `fields`,
 * or the event data; plus the metadata field. Values come from parsed JSON, so the client's
 * `JSON.stringify` of the result is always valid JSON, whatever the row held.
 *
 * @throws {ObserverError} `TEMPLATE_ERROR` (permanent) when the template does not render an object.
 */
export function entityDocument(
  config: SearchActionConfig,
  event: EntityEvent,
  templates: TemplateRenderer,
): JsonObject {
  let document: JsonObject;
  if (config.document !== undefined) {
    const rendered = templates.json(config.document, event);
    if (typeof rendered !== 'object' || rendered === null || Array.isArray(rendered)) {
      throw new ObserverError(
        'TEMPLATE_ERROR',
        'search: the document template did not render an object',
        {
          retryable: false,
          errorType: 'template',
        },
      );
    }
    document = { ...rendered };
  } else if (config.fields !== undefined) {
    document = pickFields(event.data, config.fields);
  } else {
    document = { ...event.data };
  }
  if (config.metadataField !== false) {
    document[config.metadataField] = {
      entity_type: event.entityType,
      entity_id: event.entityId,
      ...(event.tenantId === undefined ? {} : { tenant_id: event.tenantId }),
      seq: event.seq.toString(),
      event_id: event.id,
      updated_at: event.timestamp.toISOString(),
    };
  }
  return document;
}

/** Copies `paths` (dotted) of `data` into a new object, keeping their nesting; absent paths are skipped. */
export function pickFields(data: JsonObject, paths: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const path of paths) {
    const segments = path.split('.');
    let value: JsonValue | undefined = data;
    for (const segment of segments) {
      value =
        value !== null &&
        typeof value === 'object' &&
        !Array.isArray(value) &&
        Object.hasOwn(value, segment)
          ? value[segment]
          : undefined;
      if (value === undefined) break;
    }
    if (value === undefined) continue;
    let target = out;
    segments.forEach((segment, i) => {
      if (i === segments.length - 1) {
        target[segment] = value;
        return;
      }
      const next = Object.hasOwn(target, segment) ? target[segment] : undefined;
      if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) {
        const created: JsonObject = {};
        target[segment] = created;
        target = created;
      } else {
        target = next;
      }
    });
  }
  return out;
}
