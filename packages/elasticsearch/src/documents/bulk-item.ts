import type { EntityEvent } from '@fraiseql/core';

/** The bulk operation of an item: `index` (monthly indices) or `create` (data streams). */
export type BulkOperation = 'index' | 'create';

/** One event ready for `_bulk`: its two NDJSON lines and where they go. */
export interface BulkItem {
  readonly event: EntityEvent;
  readonly index: string;
  /** `_id`: the event id. */
  readonly id: string;
  readonly operation: BulkOperation;
  /** The document JSON (kept for the dead-letter path). */
  readonly document: string;
  /** `action\ndocument\n`. */
  readonly lines: string;
  /** UTF-8 length of `lines`. */
  readonly bytes: number;
}

/** Builds the bulk item of an event whose document JSON is already made. */
export function bulkItem(
  event: EntityEvent,
  index: string,
  operation: BulkOperation,
  document: string,
): BulkItem {
  const lines = `{"${operation}":{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(event.id)}}}\n${document}\n`;
  return {
    event,
    index,
    id: event.id,
    operation,
    document,
    lines,
    bytes: Buffer.byteLength(lines),
  };
}

/** Joins items into one `_bulk` NDJSON body. */
export function bulkBody(items: readonly BulkItem[]): string {
  let body = '';
  for (const item of items) body += item.lines;
  return body;
}
