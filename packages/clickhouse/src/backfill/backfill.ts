import { readChangeLogRange, type EntityEvent, type SqlClient } from '@fraiseql/core';
import { ClickHouseError } from '../errors.js';
import type { ClickHouseSink } from '../sink/clickhouse-sink.js';

/** Options of {@link backfillFromChangeLog}. */
export interface BackfillOptions {
  /** First change-log sequence, inclusive. */
  readonly from: bigint;
  /** Last change-log sequence, inclusive. */
  readonly to: bigint;
  /** Events read per query and written before the next read. @defaultValue 5000 */
  readonly batchSize?: number | undefined;
  /** Called after each stored page. */
  readonly onProgress?: ((progress: BackfillProgress) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** How far a backfill got. */
export interface BackfillProgress {
  /** Events read from the change log so far. */
  readonly events: number;
  /** Sequence of the last event stored. */
  readonly lastSeq: bigint | undefined;
}

/**
 * Replays a sequence range of the PostgreSQL change log into ClickHouse through `sink`, one
 * bounded page at a time, waiting for each page to be stored before reading the next. The
 * events go through the raw table, so the materialized views aggregate them like live ones;
 * the sink skips events already stored, so re-running a backfill never counts one twice.
 *
 * @throws {ClickHouseError} `INVALID_ARGUMENT` when the sink does not skip stored events (a
 * re-run would double-count) or the range is empty; the sink's error when a page is refused
 */
export async function backfillFromChangeLog(
  sink: ClickHouseSink,
  db: SqlClient,
  options: BackfillOptions,
): Promise<BackfillProgress> {
  if (!sink.skipsStoredEvents) {
    throw new ClickHouseError(
      'INVALID_ARGUMENT',
      'backfill: the sink was created with skipStoredEvents: false; a backfill over stored events would count them twice',
    );
  }
  if (options.from > options.to) {
    throw new ClickHouseError(
      'INVALID_ARGUMENT',
      `backfill: from (${String(options.from)}) is after to (${String(options.to)})`,
    );
  }
  const pageSize = options.batchSize ?? 5000;
  let page: EntityEvent[] = [];
  let events = 0;
  let lastSeq: bigint | undefined;
  const store = async (): Promise<void> => {
    if (page.length === 0) return;
    await sink.write(page, options.signal === undefined ? {} : { signal: options.signal });
    await sink.flush(options.signal === undefined ? {} : { signal: options.signal });
    events += page.length;
    lastSeq = page.at(-1)?.seq;
    page = [];
    options.onProgress?.({ events, lastSeq });
  };
  for await (const event of readChangeLogRange(db, {
    from: options.from,
    to: options.to,
    pageSize: Math.min(pageSize, 10_000),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })) {
    page.push(event);
    if (page.length >= pageSize) await store();
  }
  await store();
  return { events, lastSeq };
}
