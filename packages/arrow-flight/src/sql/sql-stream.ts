import type { SqlClient } from '@fraiseql/core';
import { RecordBatcher, type StreamColumn } from '../arrow/record-batcher.js';
import type { FlightStream, StreamBatch, StreamContext } from '../datasets/flight-stream.js';

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
}

/**
 * A Flight stream over one read: rows come from a server-side cursor (raw text, array rows)
 * into record batches cut by the context's row and byte limits; the rows of the first fetch are
 * sent as a batch of their own, so the time to the first batch is one fetch. The cursor stays one
 * fetch ahead of the conversion and no further, so the gRPC stream's backpressure reaches
 * PostgreSQL; an abort closes the cursor and its transaction.
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
