import type { EntityEvent } from '@fraiseql/core';

/** The bulk operation of an item: `index` (monthly indices) or `create` (data streams). */
export type BulkOperation = 'index' | 'create';

/** One event ready for `_bulk`: its action and document lines and where they go. */
export interface BulkItem {
  readonly event: EntityEvent;
  readonly index: string;
  /** `_id`: the event id. */
  readonly id: string;
  readonly operation: BulkOperation;
  /** The action line, without its newline. */
  readonly action: string;
  /** The document JSON (also kept for the dead-letter path). */
  readonly document: string;
  /**
   * Size of the two lines in UTF-16 code units: a lower bound of their UTF-8 bytes (at most
   * 3× less). Batches are cut on it, then measured exactly once per request body.
   */
  readonly chars: number;
}

/** Builds the bulk item of an event whose document JSON is already made. */
export function bulkItem(
  event: EntityEvent,
  index: string,
  operation: BulkOperation,
  document: string,
): BulkItem {
  const action = `{"${operation}":{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(event.id)}}}`;
  return {
    event,
    index,
    id: event.id,
    operation,
    action,
    document,
    chars: action.length + document.length + 2,
  };
}

/** Joins items into one `_bulk` NDJSON body. */
export function bulkBody(items: readonly BulkItem[]): string {
  let body = '';
  for (const item of items) body += `${item.action}\n${item.document}\n`;
  return body;
}
