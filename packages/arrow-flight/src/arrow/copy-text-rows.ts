import type { RecordBatch } from 'apache-arrow';
import type { RecordBatcher } from './record-batcher.js';

const TAB = 0x09;
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
// The escapes COPY TO writes in text format: \b \f \n \r \t \v and \\ (and \N for NULL).
const UNESCAPED: Readonly<Record<number, number>> = {
  0x62: 0x08,
  0x66: 0x0c,
  0x6e: 0x0a,
  0x72: 0x0d,
  0x74: 0x09,
  0x76: 0x0b,
};

/**
 * Reads PostgreSQL `COPY … TO STDOUT` text format (one line per row, tab-separated fields,
 * `\N` for NULL, backslash escapes) into a {@link RecordBatcher}: each field's bytes go to its
 * column builder as they are (a text column copies them; no string per value). Chunks may end
 * anywhere: the part of a row after the last newline waits for the next chunk.
 */
export class CopyTextRows {
  readonly #batcher: RecordBatcher;
  #carry: Buffer | undefined;
  #scratch = Buffer.allocUnsafe(1024);

  constructor(batcher: RecordBatcher) {
    this.#batcher = batcher;
  }

  /** Appends the complete rows of `chunk` (after what an earlier chunk left); returns full batches. */
  push(chunk: Buffer): RecordBatch[] {
    const batches: RecordBatch[] = [];
    let from = 0;
    if (this.#carry !== undefined) {
      // The row an earlier chunk began: completed alone, so the chunk itself is not copied.
      const newline = chunk.indexOf(NEWLINE);
      if (newline < 0) {
        this.#carry = Buffer.concat([this.#carry, chunk]);
        return batches;
      }
      const row = Buffer.concat([this.#carry, chunk.subarray(0, newline + 1)]);
      this.#carry = undefined;
      this.#rows(row, 0, row.length - 1, batches);
      from = newline + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < from) {
      if (from < chunk.length) this.#carry = Buffer.from(chunk.subarray(from));
      return batches;
    }
    this.#rows(chunk, from, last, batches);
    // The chunk's buffer may be reused by the stream: the partial row is copied.
    if (last + 1 < chunk.length) this.#carry = Buffer.from(chunk.subarray(last + 1));
    return batches;
  }

  /** Appends the rows of `bytes[from, last]` (`last` is a newline). */
  #rows(bytes: Buffer, from: number, last: number, batches: RecordBatch[]): void {
    const builders = this.#batcher.builders;
    const lastColumn = builders.length - 1;
    // The next backslash of the chunk: rows before it hold no escape and no NULL, and their
    // fields are found with native byte searches.
    let backslash = this.#nextBackslash(bytes, from, last);
    let at = from;
    while (at <= last) {
      const rowEnd = bytes.indexOf(NEWLINE, at);
      if (backslash < rowEnd) {
        at = this.#row(bytes, at);
        if (backslash < at) backslash = this.#nextBackslash(bytes, at, last);
      } else {
        for (let column = 0; column < lastColumn; column++) {
          const end = bytes.indexOf(TAB, at);
          if (end < 0 || end > rowEnd) throw fieldCount(builders.length);
          builders[column]?.appendText(bytes, at, end);
          at = end + 1;
        }
        const tab = bytes.indexOf(TAB, at);
        if (tab >= 0 && tab < rowEnd) throw fieldCount(builders.length);
        builders[lastColumn]?.appendText(bytes, at, rowEnd);
        at = rowEnd + 1;
      }
      const batch = this.#batcher.endRow();
      if (batch !== undefined) batches.push(batch);
    }
  }

  /** The first backslash at or after `from` up to `last`, or `last + 1`. */
  #nextBackslash(bytes: Buffer, from: number, last: number): number {
    const found = bytes.indexOf(BACKSLASH, from);
    return found < 0 || found > last ? last + 1 : found;
  }

  /**
   * Checks that no partial row is left at the end of the stream.
   * @throws {Error} when the stream ended inside a row
   */
  end(): void {
    if (this.#carry !== undefined && this.#carry.length > 0) {
      throw new Error('COPY stream ended inside a row');
    }
  }

  /** Reads one row starting at `at`; returns the index after its newline. */
  #row(bytes: Buffer, start: number): number {
    const builders = this.#batcher.builders;
    let at = start;
    for (let column = 0; column < builders.length; column++) {
      const builder = builders[column];
      const from = at;
      let escaped = false;
      let byte = bytes[at];
      while (byte !== TAB && byte !== NEWLINE) {
        if (byte === undefined) throw new Error('COPY row ended without a newline');
        if (byte === BACKSLASH) {
          escaped = true;
          at++; // the escaped byte is never a separator
        }
        byte = bytes[++at];
      }
      const last = column === builders.length - 1;
      if ((byte === NEWLINE) !== last) {
        throw fieldCount(builders.length);
      }
      if (!escaped) builder?.appendText(bytes, from, at);
      else if (at - from === 2 && bytes[from + 1] === 0x4e)
        builder?.append(null); // \N
      else builder?.appendText(this.#unescape(bytes, from, at), 0, this.#unescapedLength);
      at++;
    }
    return at;
  }

  #unescapedLength = 0;

  #unescape(bytes: Buffer, start: number, end: number): Buffer {
    if (this.#scratch.length < end - start) this.#scratch = Buffer.allocUnsafe(end - start);
    const out = this.#scratch;
    let length = 0;
    for (let at = start; at < end; at++) {
      let byte = bytes[at] ?? 0;
      if (byte === BACKSLASH && at + 1 < end) {
        const next = bytes[++at] ?? 0;
        byte = UNESCAPED[next] ?? next;
      }
      out[length++] = byte;
    }
    this.#unescapedLength = length;
    return out;
  }
}

function fieldCount(columns: number): Error {
  return new Error(`COPY row has a field count other than ${String(columns)}`);
}
