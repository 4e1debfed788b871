import type { RowAck } from './row-ack.js';
import type { SinkRow } from './sink-row.js';

/**
 * A buffered row: its encoded line, its size, the columns batches are looked up by, and who to
 * tell once it is stored.
 */
export interface PendingRow {
  readonly eventId: string;
  readonly seq: bigint;
  /** Commit time in microseconds since the epoch. */
  readonly timestampMicros: bigint;
  /**
   * Every column. A row read as text from the change log decodes it from `line` when first
   * asked (a dead letter, an aggregate repair); the hot path never does.
   */
  readonly row: SinkRow;
  /** The `TabSeparated` line, newline included: text, or UTF-8 bytes as read. */
  readonly line: string | Uint8Array;
  /** The line's length in UTF-8 bytes. */
  readonly bytes: number;
  readonly ack: RowAck | undefined;
  /** When the row was buffered (`Date.now()`), for the batch's age. */
  at: number;
}

/** A row that goes to the dead-letter table instead. */
export interface DeadRow {
  readonly eventId: string;
  readonly seq: bigint;
  readonly error: string;
  /** The original event as JSON text. */
  readonly event: string;
  readonly ack: RowAck | undefined;
}
