import { isCopyRefused, type SqlClient } from '@fraiseql/core';
import { CopyTextRows } from '../arrow/copy-text-rows.js';
import { RecordBatcher, type StreamColumn } from '../arrow/record-batcher.js';
import type { FlightStream, StreamBatch, StreamContext } from '../datasets/flight-stream.js';

/** Reads of more rows than this (or of no limit) go through COPY where they can. */
const COPY_MIN_ROWS = 1000;

/**
 * Whether a read of at most `limit` rows (undefined: no limit) is long enough for COPY: short
 * reads keep the cursor, whose first rows come sooner.
 */
export function copyPays(limit: number | undefined): boolean {
  return limit === undefined || limit > COPY_MIN_ROWS;
}

/** A compiled, parameterised statement. */
export interface CompiledSql {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/** Options of {@link sqlStream}. */
export interface SqlStreamOptions {
  /** Statement timeout (ms, 0 for none). */
  readonly statementTimeoutMs: number;
  /**
   * Rows per cursor round trip.
   * @defaultValue min(batch rows, 8192)
   */
  readonly fetchRows?: number | undefined;
  /** The database role the read runs as (see `CursorOptions.role`). */
  readonly role?: string | undefined;
  /**
   * Read through `COPY … TO STDOUT` (core's `SqlClient.copyOut`) where the client has it: for
   * long reads, several times cheaper per value than a cursor (no JavaScript string per value).
   * A COPY that cannot start (PGlite, inside a transaction, a parameter it cannot carry, no
   * `pg-copy-streams`) falls back to the cursor. @defaultValue false
   */
  readonly copy?: boolean | undefined;
}

/**
 * A Flight stream over one read: rows come from a server-side cursor (raw text, array rows) or,
 * with `copy`, from a COPY stream's bytes, into record batches cut by the context's row and byte
 * limits; the first rows (a fetch, or a COPY chunk) are sent as a batch of their own, so the
 * time to the first batch is one fetch. The cursor stays one fetch ahead of the conversion and
 * no further, and a COPY is read from its socket only as batches are taken, so the gRPC stream's
 * backpressure reaches PostgreSQL; an abort ends the read and its transaction.
 */
export function sqlStream(
  db: SqlClient,
  statement: CompiledSql,
  columns: readonly StreamColumn[],
  context: StreamContext,
  options: SqlStreamOptions,
): FlightStream {
  const batcher = new RecordBatcher(columns, context.batch);
  return {
    schema: batcher.schema,
    async *batches(signal): AsyncGenerator<StreamBatch> {
      if (options.copy === true && db.copyOut !== undefined) {
        const copied = yield* copyBatches(db, statement, batcher, signal, options);
        if (copied) return;
      }
      const fetchRows = options.fetchRows ?? Math.min(context.batch.rows, 8192);
      const rows = db.cursor<unknown[]>(statement.sql, statement.parameters, {
        rowMode: 'array',
        raw: true,
        signal,
        statementTimeoutMs: options.statementTimeoutMs,
        batchSize: fetchRows,
        role: options.role,
      });
      // The cursor fetches the next rows while this chunk is converted (one chunk ahead, so a
      // stalled client still stops it within a chunk).
      let first = true;
      for await (const chunk of rows) {
        for (const row of chunk) {
          const batch = batcher.append(row);
          if (batch !== undefined) yield { batch };
        }
        if (first || chunk.length < fetchRows) {
          // The first fetch goes out as a batch at once, however small, and so does the last
          // (a short fetch ends the read): the client has rows without waiting for the rest
          // of the cursor or for the commit.
          first = false;
          const batch = batcher.flush();
          if (batch !== undefined) yield { batch };
        }
      }
      const last = batcher.flush();
      if (last !== undefined) yield { batch: last };
    },
  };
}

/**
 * The read as a COPY: batches as the bytes arrive, the first chunk's rows at once. Returns
 * false, having yielded nothing, when the COPY could not start (the caller reads with a
 * cursor); a failure after the first rows is thrown.
 */
async function* copyBatches(
  db: SqlClient,
  statement: CompiledSql,
  batcher: RecordBatcher,
  signal: AbortSignal,
  options: SqlStreamOptions,
): AsyncGenerator<StreamBatch, boolean> {
  const chunks = db.copyOut?.(statement.sql, statement.parameters, {
    signal,
    statementTimeoutMs: options.statementTimeoutMs,
    role: options.role,
  });
  if (chunks === undefined) return false;
  const rows = new CopyTextRows(batcher);
  let started = false;
  try {
    for await (const chunk of chunks) {
      started = true;
      for (const batch of rows.push(chunk)) yield { batch };
      if (batcher.pending > 0 && batcher.pending === batcher.total) {
        // The first rows go out as a batch at once, however few.
        const batch = batcher.flush();
        if (batch !== undefined) yield { batch };
      }
    }
  } catch (error) {
    if (started || signal.aborted || !isCopyRefused(error)) throw error;
    return false;
  }
  rows.end();
  const last = batcher.flush();
  if (last !== undefined) yield { batch: last };
  return true;
}
