import {
  isCoreError,
  type ChangeLogPosition,
  type ChangeLogReader,
  type ChangeLogReaderPage,
  type ChangeLogReaderTextPage,
  type Logger,
} from '@fraiseql/core';
import { backoffDelay, pause } from './backoff.js';

/** A running load of the change log into the sink ({@link ClickHouseSink.consumeChangeLog}). */
export interface ChangeLogPipe extends AsyncDisposable {
  /** Events stored and committed since start. */
  acknowledged(): number;
  /** The reader's last committed position (undefined until the lease is held). */
  committed(): ChangeLogPosition | undefined;
  /** Stops reading, stores what is buffered, commits it and releases the reader's lease. */
  close(): Promise<void>;
}

/** A page as the pipe reads it: events, or COPY text lines and events. */
export type PipePage = ChangeLogReaderPage | ChangeLogReaderTextPage;

/** What {@link startChangeLogPipe} needs. */
export interface ChangeLogPipeDeps {
  readonly reader: ChangeLogReader;
  /** Reads the next page from `reader`. @defaultValue `reader.read` */
  readonly read?: ((signal: AbortSignal) => Promise<PipePage>) | undefined;
  /**
   * Buffers a page (waiting for room first); resolves with `stored`, which settles once every
   * row of the page was stored or dead-lettered (rejects when one could not be).
   */
  readonly store: (
    page: PipePage,
    signal: AbortSignal,
  ) => Promise<{ readonly stored: Promise<void> }>;
  /** Stores what is buffered now (at close). */
  readonly flush: () => Promise<void>;
  readonly retry: { readonly initialDelay: number; readonly maxDelay: number };
  readonly logger: Logger;
}

/**
 * Reads pages from `reader` into the sink and commits each page's end once the page is
 * stored, in order, with the next pages read and encoded meanwhile. A failed page (or a lost
 * database) rewinds the reader to its committed position after a backoff: the pages after it
 * are read again and the sink skips what it already holds, so nothing is lost and nothing is
 * counted twice. A lease taken over by another instance is waited for again.
 */
export function startChangeLogPipe(deps: ChangeLogPipeDeps): ChangeLogPipe {
  const { reader, logger } = deps;
  const read = deps.read ?? ((signal: AbortSignal) => reader.read(signal));
  const stop = new AbortController();
  const stopped = (): boolean => stop.signal.aborted;
  let acknowledged = 0;

  const runOnce = async (): Promise<void> => {
    await reader.acquire(stop.signal);
    let broken: { error: unknown } | undefined;
    // A failed page also ends a read waiting for new rows: it is read again at once.
    const failed = new AbortController();
    const signal = AbortSignal.any([stop.signal, failed.signal]);
    const fail = (error: unknown): void => {
      broken ??= { error };
      failed.abort(error);
    };
    let commits: Promise<void> = Promise.resolve();
    try {
      while (!signal.aborted) {
        const page = await read(signal);
        const { stored } = await deps.store(page, signal);
        stored.catch(() => undefined); // handled in the chain below
        // Only the end and the count are kept: the events can go once they are encoded.
        const { end } = page;
        const events = page.events.length + ('starts' in page ? page.starts.length : 0);
        commits = commits.then(async () => {
          try {
            await stored;
            if (broken !== undefined) return;
            await reader.commit(end);
            acknowledged += events;
          } catch (error) {
            fail(error);
          }
        });
      }
    } catch (error) {
      if (!stop.signal.aborted) fail(error);
    }
    // Pages already buffered are stored (at close, by the flush) and committed in order.
    await commits;
    if (broken !== undefined) throw broken.error;
  };

  const run = async (): Promise<void> => {
    for (let failures = 0; !stop.signal.aborted;) {
      const before = acknowledged;
      try {
        await runOnce();
      } catch (error) {
        if (stopped()) break;
        if (acknowledged > before) failures = 0;
        failures += 1;
        const delayMs = backoffDelay(failures, deps.retry.initialDelay, deps.retry.maxDelay);
        logger.warn(
          {
            reader: reader.reader,
            error: error instanceof Error ? error.message : String(error),
            delayMs,
          },
          isCoreError(error, 'LEASE_LOST')
            ? 'clickhouse: another instance took the change-log reader over; waiting for it'
            : 'clickhouse: change-log page not stored; reading again from the committed position',
        );
        await pause(delayMs, stop.signal);
        reader.rewind();
      }
    }
  };
  const running = run();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      stop.abort();
      await deps.flush().catch(() => undefined);
      await running;
      await reader.close();
    })());
  return {
    acknowledged: () => acknowledged,
    committed: () => reader.committed,
    close,
    [Symbol.asyncDispose]: close,
  };
}
