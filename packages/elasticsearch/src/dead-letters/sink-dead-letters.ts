/** One document Elasticsearch refused for good, with why. */
export interface SinkDeadLetter {
  /** Event id (also the document `_id`). */
  readonly eventId: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly index: string;
  readonly operation: string;
  /** The document JSON exactly as sent (or the event JSON when no document could be made). */
  readonly document: string;
  /** HTTP status of the item, when the server answered. */
  readonly status?: number;
  /** Elasticsearch error type (`mapper_parsing_exception`, `document_parsing_exception`, `too_large`, `serialization`…). */
  readonly errorType: string;
  readonly errorReason: string;
}

/** A stored {@link SinkDeadLetter}. */
export interface StoredSinkDeadLetter extends SinkDeadLetter {
  readonly id: string;
  readonly createdAt: Date;
}

/**
 * Where the event sink puts documents Elasticsearch refused for good. `add` resolves once the
 * items are durable: the sink acknowledges the events only after that.
 */
export interface SinkDeadLetters {
  add(items: readonly SinkDeadLetter[], options?: { readonly signal?: AbortSignal }): Promise<void>;
  /** Newest first. */
  list(options?: {
    readonly limit?: number;
    readonly offset?: number;
  }): Promise<StoredSinkDeadLetter[]>;
  count(): Promise<number>;
  /** Removes items by id; resolves to how many were removed. */
  remove(ids: readonly string[]): Promise<number>;
}
