import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { SqlClient } from '../db/sql-client.js';
import { CoreError } from '../errors/core-error.js';
import type { EntityEvent } from '../events/entity-event.js';
import { stringifyJson } from '../json/stringify-json.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import { parseDuration, type DurationInput } from '../time/duration.js';
import { changeLogRowToEvent, isDeliverableRow } from './change-log-row-to-event.js';
import type { ChangeLogRow } from './change-log-row.js';
import { CHANGE_LOG_CHANNEL, CHANGE_LOG_TABLE, changeLogColumns } from './change-log-table.js';
import { readChangeLogPage, type ChangeLogPosition } from './read-change-log-page.js';
import { readChangeLogText, type ChangeLogTextSelect } from './read-change-log-text.js';

/** Options of {@link createChangeLogReader}. */
export interface ChangeLogReaderOptions {
  /** The reader's name: its saved position and its lease (`core.tb_change_log_reader`). */
  readonly reader: string;
  /** Most change-log rows per page. @defaultValue 10_000 */
  readonly pageSize?: number | undefined;
  /**
   * Longest pause between reads while no new row is below the horizon; with `listen`, a
   * change-log `NOTIFY` ends it sooner. @defaultValue '250ms'
   */
  readonly pollInterval?: DurationInput | undefined;
  /**
   * Wake up on the change log's `NOTIFY` (one more connection, opened at the first wait) instead
   * of only polling. A lost LISTEN connection leaves the polling. @defaultValue true
   */
  readonly listen?: boolean | undefined;
  /**
   * How long the lease lasts without renewal; it is renewed every third of that while the
   * reader is open. Another instance takes the reader over once it has run out.
   * @defaultValue '30s'
   */
  readonly leaseTtl?: DurationInput | undefined;
  /** @defaultValue silence */
  readonly logger?: Logger | undefined;
}

/** A change-log row that is not a valid event, returned instead of thrown. */
export interface MalformedChangeLogRow {
  /** The row's `pk_entity_change_log`, 0 when it has none readable. */
  readonly seq: bigint;
  /** The row's `id` (the event id it would have had), `''` when missing. */
  readonly id: string;
  readonly error: string;
  /** The row as JSON text, for a dead-letter store. */
  readonly row: string;
}

/** One page of a {@link ChangeLogReader}. */
export interface ChangeLogReaderPage {
  /** The page's events in change-log order (`NOOP` rows are skipped). */
  readonly events: readonly EntityEvent[];
  /** Rows of the page that are not valid events. */
  readonly malformed: readonly MalformedChangeLogRow[];
  /** The position after this page: {@link ChangeLogReader.commit} it once the page is stored. */
  readonly end: ChangeLogPosition;
}

/** One page of {@link ChangeLogReader.readText}. */
export interface ChangeLogReaderTextPage extends ChangeLogReaderPage {
  /**
   * The rows the `when` condition admitted, as COPY text (see {@link readChangeLogText}): row
   * `i` is `buffers[i]` from `starts[i]` to `ends[i]` (its `select` columns, newline included).
   * `events` and `malformed` hold the other rows.
   */
  readonly buffers: readonly Buffer[];
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
}

/**
 * Loads the change log into another store in pages, with one saved position per reader: read
 * a page, store it, commit its end. Pages follow the visibility horizon (see
 * {@link readChangeLogPage}), so a late commit is never skipped; a restart reads again from
 * the last committed position, so a page stored but not committed is read again (the store
 * must absorb a re-sent page). No per-event bookkeeping is written to PostgreSQL, unlike the
 * observers' change-log source, whose claims are what per-event retries and parallel workers
 * need.
 */
export interface ChangeLogReader extends AsyncDisposable {
  readonly reader: string;
  /**
   * Waits until this instance holds the reader's lease (another live instance holds it
   * meanwhile), then resolves with the saved position, where reading starts.
   *
   * @throws the abort reason when `signal` aborts; {@link CoreError} `CLOSED` after close()
   */
  acquire(signal?: AbortSignal): Promise<ChangeLogPosition>;
  /**
   * The next page after the last one read, waiting while no new row is below the horizon.
   * Rows that are not valid events come back in `malformed`; nothing is thrown for row data.
   *
   * @throws {CoreError} `LEASE_LOST` when another instance took the reader over; the abort
   * reason when `signal` aborts; the database's error when the read fails
   */
  read(signal?: AbortSignal): Promise<ChangeLogReaderPage>;
  /**
   * {@link ChangeLogReader.read} with the rows `select.when` admits written as COPY text by
   * `select.select` instead of converted to events, for loaders that pass text on (no string
   * or object per value). The other rows (`NOOP`, malformed, shapes the select does not
   * handle) are read again by key and come back as `events` and `malformed`, as read() returns
   * them.
   *
   * @throws {CoreError} `INVALID_ARGUMENT` when the client has no `copyOut` (PGlite) or
   *   `pg-copy-streams` is not installed (use read() then); as read() otherwise
   */
  readText(select: ChangeLogTextSelect, signal?: AbortSignal): Promise<ChangeLogReaderTextPage>;
  /**
   * Saves `position` (a page's `end`) as the reader's progress. Commit pages in the order they
   * were read; a position behind the saved one is ignored.
   *
   * @throws {CoreError} `LEASE_LOST` when another instance took the reader over
   */
  commit(position: ChangeLogPosition): Promise<void>;
  /** The next read starts after the last committed position again (after a failed store). */
  rewind(): void;
  /** The last position committed (or acquired). */
  readonly committed: ChangeLogPosition | undefined;
  /** Stops renewing and releases the lease. */
  close(): Promise<void>;
}

const READER_TABLE = 'core.tb_change_log_reader';

/**
 * A {@link ChangeLogReader} over `db`'s change log, for loaders that store events elsewhere
 * (ClickHouse, a search index) and can absorb a re-sent page.
 *
 * @throws {CoreError} `INVALID_ARGUMENT` for a bad name, page size or duration
 * @example
 * const reader = createChangeLogReader(db, { reader: 'warehouse' });
 * await reader.acquire();
 * for (;;) {
 *   const page = await reader.read();
 *   await store(page.events);
 *   await reader.commit(page.end);
 * }
 */
export function createChangeLogReader(
  db: SqlClient,
  options: ChangeLogReaderOptions,
): ChangeLogReader {
  const name = options.reader;
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw new CoreError('INVALID_ARGUMENT', 'reader: expected a name of 1 to 200 characters');
  }
  const pageSize = options.pageSize ?? 10_000;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `pageSize: expected a positive integer, got ${String(pageSize)}`,
    );
  }
  const pollMs = parseDuration(options.pollInterval ?? '250ms', 'pollInterval');
  const ttlMs = parseDuration(options.leaseTtl ?? '30s', 'leaseTtl');
  if (ttlMs < 1000) {
    throw new CoreError('INVALID_ARGUMENT', 'leaseTtl: expected at least 1s');
  }
  return new Reader(
    db,
    name,
    pageSize,
    pollMs,
    ttlMs,
    options.listen ?? true,
    options.logger ?? silentLogger,
  );
}

class Reader implements ChangeLogReader {
  readonly #owner = `${hostname()}:${String(process.pid)}:${randomUUID().slice(0, 8)}`;
  #next: ChangeLogPosition | undefined;
  #committed: ChangeLogPosition | undefined;
  #held = false;
  #lost = false;
  #closed = false;
  #renewal: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;
  /** The LISTEN subscription (undefined until the first wait, or when not listening). */
  #unlisten: Promise<(() => Promise<void>) | undefined> | undefined;
  /** Ends the current wait (set while one runs). */
  #wake: (() => void) | undefined;
  /** A `NOTIFY` came while no wait ran: the next wait returns at once. */
  #woken = false;
  #listenFailed = false;

  constructor(
    readonly db: SqlClient,
    readonly reader: string,
    readonly pageSize: number,
    readonly pollMs: number,
    readonly ttlMs: number,
    readonly listen: boolean,
    readonly logger: Logger,
  ) {}

  get committed(): ChangeLogPosition | undefined {
    return this.#committed;
  }

  async acquire(signal?: AbortSignal): Promise<ChangeLogPosition> {
    await this.db.query(
      `INSERT INTO ${READER_TABLE} (reader) VALUES ($1) ON CONFLICT (reader) DO NOTHING`,
      [this.reader],
    );
    for (let waited = false; ; waited = true) {
      this.#assertOpen();
      signal?.throwIfAborted();
      const result = await this.db.query<{ transaction_id: string; seq: string }>(
        `UPDATE ${READER_TABLE}
         SET owner = $2, lease_until = clock_timestamp() + $3 * interval '1 millisecond'
         WHERE reader = $1
           AND (owner IS NULL OR owner = $2 OR lease_until < clock_timestamp())
         RETURNING transaction_id::text AS transaction_id, seq::text AS seq`,
        [this.reader, this.#owner, this.ttlMs],
      );
      const row = result.rows[0];
      if (row !== undefined) {
        const position = { transactionId: BigInt(row.transaction_id), seq: BigInt(row.seq) };
        this.#held = true;
        this.#lost = false;
        this.#committed = position;
        this.#next = position;
        this.#startRenewal();
        if (waited) this.logger.info({ reader: this.reader }, 'change-log reader: lease taken');
        return position;
      }
      if (!waited) {
        this.logger.info(
          { reader: this.reader },
          'change-log reader: another instance holds the lease, waiting',
        );
      }
      await pause(Math.min(this.ttlMs / 3, 5000), signal);
    }
  }

  async read(signal?: AbortSignal): Promise<ChangeLogReaderPage> {
    for (;;) {
      const after = this.#assertHeld();
      signal?.throwIfAborted();
      const page = await readChangeLogPage(this.db, {
        after,
        limit: this.pageSize,
        epochCreatedAt: true,
      });
      this.#assertHeld();
      this.#next = page.next;
      if (page.rows.length > 0) return { ...toEvents(page.rows), end: page.next };
      await this.#waitForRows(signal);
    }
  }

  async readText(
    select: ChangeLogTextSelect,
    signal?: AbortSignal,
  ): Promise<ChangeLogReaderTextPage> {
    for (;;) {
      const after = this.#assertHeld();
      signal?.throwIfAborted();
      const page = await readChangeLogText(this.db, {
        ...select,
        after,
        limit: this.pageSize,
        signal,
      });
      let converted: Pick<ChangeLogReaderPage, 'events' | 'malformed'> = NONE;
      if (page.others.length > 0) {
        // Change-log rows are written once: read again by key, they are the rows passed over.
        const { rows } = await this.db.query<ChangeLogRow>(
          `SELECT ${changeLogColumns('l', { epochCreatedAt: true })} FROM ${CHANGE_LOG_TABLE} l
           WHERE l.pk_entity_change_log = ANY($1::bigint[])
           ORDER BY l.transaction_id, l.pk_entity_change_log`,
          [page.others],
        );
        converted = toEvents(rows);
      }
      this.#assertHeld();
      this.#next = page.next;
      if (page.rows > 0) {
        const { buffers, starts, ends } = page;
        return { ...converted, buffers, starts, ends, end: page.next };
      }
      await this.#waitForRows(signal);
    }
  }

  async commit(position: ChangeLogPosition): Promise<void> {
    this.#assertHeld();
    const result = await this.db.query(
      `UPDATE ${READER_TABLE}
       SET (transaction_id, seq) = (
             CASE WHEN (transaction_id, seq) < ($3::xid8, $4::bigint) THEN $3::xid8 ELSE transaction_id END,
             CASE WHEN (transaction_id, seq) < ($3::xid8, $4::bigint) THEN $4::bigint ELSE seq END),
           lease_until = clock_timestamp() + $5 * interval '1 millisecond',
           updated_at = clock_timestamp()
       WHERE reader = $1 AND owner = $2`,
      [
        this.reader,
        this.#owner,
        position.transactionId.toString(),
        position.seq.toString(),
        this.ttlMs,
      ],
    );
    if (result.rowCount === 0) this.#leaseLost();
    if (this.#committed === undefined || comparePositions(position, this.#committed) > 0) {
      this.#committed = position;
    }
  }

  rewind(): void {
    this.#next = this.#committed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#renewal !== undefined) clearInterval(this.#renewal);
    await this.#renewing;
    const unlisten = await this.#unlisten;
    await unlisten?.().catch(() => undefined);
    if (!this.#held || this.#lost) return;
    this.#held = false;
    await this.db
      .query(
        `UPDATE ${READER_TABLE} SET owner = NULL, lease_until = NULL
         WHERE reader = $1 AND owner = $2`,
        [this.reader, this.#owner],
      )
      .catch((error: unknown) => {
        // The lease runs out on its own.
        this.logger.warn(
          { reader: this.reader, error: error instanceof Error ? error.message : String(error) },
          'change-log reader: releasing the lease failed',
        );
      });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Waits `pollMs`, or until the change log's `NOTIFY` says rows were written. */
  async #waitForRows(signal: AbortSignal | undefined): Promise<void> {
    if (this.listen && this.#unlisten === undefined) {
      this.#unlisten = this.db
        .listen(
          CHANGE_LOG_CHANNEL,
          () => {
            this.#notified();
          },
          {
            // Wake-ups sent while the connection was down are lost: look now.
            onRestored: () => {
              this.#notified();
            },
          },
        )
        .catch((error: unknown) => {
          // Polling meanwhile; the next wait tries again (logged once).
          if (!this.#listenFailed) {
            this.logger.warn(
              {
                reader: this.reader,
                error: error instanceof Error ? error.message : String(error),
              },
              'change-log reader: LISTEN failed; polling until it succeeds',
            );
          }
          this.#listenFailed = true;
          return undefined;
        });
      if ((await this.#unlisten) === undefined) this.#unlisten = undefined;
    }
    if (this.#woken) {
      this.#woken = false;
      return;
    }
    const wait = new AbortController();
    this.#wake = () => {
      wait.abort();
    };
    try {
      await pause(
        this.pollMs,
        signal === undefined ? wait.signal : AbortSignal.any([signal, wait.signal]),
      );
    } catch (error) {
      if (signal?.aborted === true || !wait.signal.aborted) throw error;
    } finally {
      this.#wake = undefined;
    }
  }

  #notified(): void {
    if (this.#wake === undefined) this.#woken = true;
    else this.#wake();
  }

  #startRenewal(): void {
    if (this.#renewal !== undefined) return;
    this.#renewal = setInterval(() => {
      if (this.#renewing !== undefined || this.#lost) return;
      this.#renewing = this.#renew().finally(() => {
        this.#renewing = undefined;
      });
    }, this.ttlMs / 3);
    this.#renewal.unref();
  }

  async #renew(): Promise<void> {
    try {
      const result = await this.db.query(
        `UPDATE ${READER_TABLE}
         SET lease_until = clock_timestamp() + $3 * interval '1 millisecond'
         WHERE reader = $1 AND owner = $2`,
        [this.reader, this.#owner, this.ttlMs],
      );
      if (result.rowCount === 0) {
        this.#lost = true;
        this.logger.warn(
          { reader: this.reader },
          'change-log reader: another instance took the lease over',
        );
      }
    } catch (error) {
      // A database that is away: the next renewal tries again before the lease runs out.
      this.logger.warn(
        { reader: this.reader, error: error instanceof Error ? error.message : String(error) },
        'change-log reader: renewing the lease failed',
      );
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new CoreError('CLOSED', `change-log reader ${this.reader}: closed`);
  }

  /** Throws unless the lease is held; returns where the next read starts. */
  #assertHeld(): ChangeLogPosition {
    this.#assertOpen();
    if (this.#lost) this.#leaseLost();
    const next = this.#next;
    if (!this.#held || next === undefined) {
      throw new CoreError(
        'INVALID_ARGUMENT',
        `change-log reader ${this.reader}: call acquire() before reading`,
      );
    }
    return next;
  }

  #leaseLost(): never {
    this.#lost = true;
    throw new CoreError(
      'LEASE_LOST',
      `change-log reader ${this.reader}: another instance took the lease over`,
    );
  }
}

function comparePositions(a: ChangeLogPosition, b: ChangeLogPosition): number {
  if (a.transactionId !== b.transactionId) return a.transactionId < b.transactionId ? -1 : 1;
  return a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1;
}

const NONE = { events: [], malformed: [] } as const;

/** Converts rows to events; rows that are not valid events are returned, never thrown. */
function toEvents(
  rows: readonly ChangeLogRow[],
): Pick<ChangeLogReaderPage, 'events' | 'malformed'> {
  const events: EntityEvent[] = [];
  const malformed: MalformedChangeLogRow[] = [];
  for (const row of rows) {
    try {
      if (isDeliverableRow(row)) events.push(changeLogRowToEvent(row));
    } catch (error) {
      malformed.push(malformedRow(row as unknown as Record<string, unknown>, error));
    }
  }
  return { events, malformed };
}

function malformedRow(row: Record<string, unknown>, error: unknown): MalformedChangeLogRow {
  const pk = row.pk_entity_change_log;
  let seq = 0n;
  try {
    if (typeof pk === 'string' || typeof pk === 'number' || typeof pk === 'bigint')
      seq = BigInt(pk);
  } catch {
    // Keeps 0.
  }
  return {
    seq,
    id: typeof row.id === 'string' ? row.id : '',
    error: error instanceof Error ? error.message : String(error),
    // A driver's row holds no cycle; its documents may be nested deeper than JSON.stringify goes.
    row: stringifyJson(row),
  };
}

/** Waits `ms`; rejects with the abort's reason when `signal` aborts first. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await delay(ms, undefined, signal === undefined ? undefined : { signal });
  } catch (error) {
    throw signal?.aborted === true ? (signal.reason as Error) : error;
  }
}
