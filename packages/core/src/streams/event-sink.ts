import type { EntityEvent } from '../events/entity-event.js';

/**
 * A destination that stores events in bulk (ClickHouse, Elasticsearch, Arrow streams). Writes
 * are idempotent by event id, so at-least-once delivery never duplicates a stored event.
 */
export interface EventSink {
  readonly kind: string;
  /** Accepts events; resolves once they are buffered (not necessarily flushed). */
  write(events: readonly EntityEvent[], options?: { signal?: AbortSignal }): Promise<void>;
  /** Writes everything buffered; resolves when the destination acknowledged it. */
  flush(options?: { signal?: AbortSignal }): Promise<void>;
  /** Flushes, then releases resources. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
