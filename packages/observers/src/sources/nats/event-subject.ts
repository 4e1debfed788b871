import type { EntityEvent } from '@fraiseql/core';

// Characters a NATS subject token cannot hold: separators, wildcards, whitespace, controls.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is excluded
const NOT_IN_TOKEN = /[.*>\s\u0000-\u001f\u007f]/g;

/**
 * The subject an event is published to: `{prefix}.{entityType}.{eventType}`. Characters a
 * subject token cannot hold (`.`, `*`, `>`, whitespace) become `_`; the payload keeps the
 * entity type unchanged.
 *
 * @example eventSubject('fraiseql.events', event) // 'fraiseql.events.Order.INSERT'
 */
export function eventSubject(prefix: string, event: EntityEvent): string {
  return `${prefix}.${subjectToken(event.entityType)}.${event.eventType}`;
}

/** Turns text into one subject token. */
export function subjectToken(text: string): string {
  const token = text.replace(NOT_IN_TOKEN, '_');
  return token === '' ? '_' : token;
}
