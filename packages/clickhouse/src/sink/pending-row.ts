import type { RowAck } from './row-ack.js';
import type { SinkRow } from './sink-row.js';

/** A buffered row: its encoded line, its size, and who to tell once it is stored. */
export interface PendingRow {
  readonly row: SinkRow;
  /** The encoded `TabSeparated` line, newline included (see `encodeRow`). */
  readonly line: string;
  /** The line's length in UTF-8 bytes. */
  readonly bytes: number;
  readonly ack: RowAck | undefined;
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
