import type { EntityEvent } from '@fraiseql/core';

import { searchText } from './search-text.js';

/** What goes into an event-history document besides the fixed fields. */
export interface EventDocumentOptions {
  /** Index `search_text` (the data's text values). @defaultValue `true` */
  readonly searchText?: boolean;
  /** Most characters of `search_text`. @defaultValue `32766` */
  readonly searchTextMaxChars?: number;
}

/**
 * The JSON text of an event-history document: `@timestamp` (ISO-8601, millisecond precision),
 * `event_id`, `seq` (exact, written from the bigint), `event_type`, `entity_type`, `entity_id`,
 * `tenant_id`, `user_id`, `changed_fields`, `data` and `search_text`.
 *
 * @throws whatever `JSON.stringify` throws for data that is not JSON (a bigint, a cycle): the
 * sink dead-letters that event.
 */
export function eventDocumentJson(event: EntityEvent, options: EventDocumentOptions = {}): string {
  let json = `{"@timestamp":${JSON.stringify(event.timestamp.toISOString())},"event_id":${JSON.stringify(event.id)},"seq":${event.seq.toString()},"event_type":${JSON.stringify(event.eventType)},"entity_type":${JSON.stringify(event.entityType)},"entity_id":${JSON.stringify(event.entityId)}`;
  if (event.tenantId !== undefined) json += `,"tenant_id":${JSON.stringify(event.tenantId)}`;
  if (event.userId !== undefined) json += `,"user_id":${JSON.stringify(event.userId)}`;
  if (event.changes !== undefined) {
    json += `,"changed_fields":${JSON.stringify(Object.keys(event.changes))}`;
  }
  // `data` is typed as an object, but an in-memory event may carry anything: undefined → null.
  json += `,"data":${(JSON.stringify(event.data) as string | undefined) ?? 'null'}`;
  if (options.searchText !== false) {
    json += `,"search_text":${JSON.stringify(searchText(event.data, options.searchTextMaxChars))}`;
  }
  return `${json}}`;
}
