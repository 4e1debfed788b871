import { createHash } from 'node:crypto';
import type { Logger } from '@fraiseql/core';
import { isTransient } from '../connection/classify-failure.js';
import type { ClickHouseConnection } from '../connection/clickhouse-connection.js';
import { ClickHouseError, isClickHouseError } from '../errors.js';
import type { ClickHouseSinkMetrics } from '../metrics/clickhouse-sink-metrics.js';
import { eventAggregates, type AggregateSpec } from '../schema/event-aggregates.js';
import type { EventTables } from '../schema/event-tables.js';
import { quoteString } from '../schema/identifiers.js';
import type { ServerCapabilities } from '../schema/server-capabilities.js';
import { backoffDelay, pause } from './backoff.js';
import { formatTimestamp } from './encode-row.js';
import type { DeadRow, PendingRow } from './pending-row.js';
import { RAW_COLUMNS } from './sink-row.js';
import { repairViews } from './view-repair.js';

/** What {@link BatchInserter} needs from the sink. */
export interface BatchInserterOptions {
  readonly connection: ClickHouseConnection;
  readonly tables: EventTables;
  readonly caps: ServerCapabilities;
  readonly skipStoredEvents: boolean;
  readonly retry: { readonly initialDelay: number; readonly maxDelay: number };
  readonly metrics: ClickHouseSinkMetrics;
  readonly logger: Logger;
  /** Aborts when retrying should stop (the sink's close deadline). */
  readonly stop: AbortSignal;
  /** Told about every round trip's outcome, for health. */
  readonly onOutcome: (error: ClickHouseError | undefined) => void;
}

/** The lowest and highest `seq` of some rows. */
export interface SeqRange {
  readonly minSeq: bigint;
  readonly maxSeq: bigint;
}

/** A batch whose stored-row lookup may already be running ({@link BatchInserter.prepare}). */
export interface PreparedBatch {
  readonly rows: readonly PendingRow[];
  readonly stored: Promise<ReadonlySet<string>> | undefined;
  /** The rows' `seq` range, when a lookup was started. */
  readonly range?: SeqRange | undefined;
}

/** Rows stored after a batch's lookup was started, so the lookup may not have seen them. */
export interface StoredRows extends SeqRange {
  readonly rows: readonly PendingRow[];
}

interface Lookup {
  readonly stored: Promise<ReadonlySet<string>> | undefined;
  readonly range?: SeqRange | undefined;
  readonly alsoStored?: StoredRows | undefined;
}

/** The `seq` range of `rows` (which must not be empty). */
export function seqRange(rows: readonly PendingRow[]): SeqRange {
  let minSeq = rows[0]?.seq ?? 0n;
  let maxSeq = minSeq;
  for (const { seq } of rows) {
    if (seq < minSeq) minSeq = seq;
    else if (seq > maxSeq) maxSeq = seq;
  }
  return { minSeq, maxSeq };
}

const DEAD_COLUMNS = ['event_id', 'seq', 'error', 'event'] as const;

/**
 * Stores one batch: skips rows already stored (checking that every aggregate has them, see
 * {@link repairViews}), inserts the rest in one statement with a deduplication token where the
 * server has them, retries transient failures with backoff,
 * and splits a batch the server refuses as malformed until the bad rows are isolated and
 * dead-lettered while the good ones land. Acknowledges rows only once stored.
 */
export class BatchInserter {
  readonly #o: BatchInserterOptions;
  readonly #label: string;
  readonly #aggregates: readonly AggregateSpec[];

  constructor(options: BatchInserterOptions) {
    this.#o = options;
    this.#label = options.tables.plain.raw;
    this.#aggregates = eventAggregates(options.tables, options.caps);
  }

  /**
   * Starts looking up which of `rows` are stored already, so that the lookup of the next batch
   * runs while the current one is inserted; {@link store} waits for it.
   */
  prepare(rows: readonly PendingRow[]): PreparedBatch {
    if (!this.#o.skipStoredEvents || rows.length === 0) return { rows, stored: undefined };
    const range = seqRange(rows);
    const stored = this.#storedIds(rows, range);
    // A failed lookup is not lost: store() looks again, with retries.
    stored.catch(() => undefined);
    return { rows, stored, range };
  }

  /**
   * Stores a batch; resolves when done, rejects with a permanent (or give-up) error.
   * `alsoStored` holds the rows stored since the batch was prepared (the batch before it).
   */
  async store(batch: PreparedBatch, alsoStored?: StoredRows): Promise<void> {
    const { rows } = batch;
    if (rows.length === 0) return;
    try {
      await this.#storeSplitting(rows, { ...batch, alsoStored });
    } catch (error) {
      for (const row of rows) row.ack?.failed(error);
      throw error;
    }
  }

  /** Stores dead rows in the dead-letter table, retrying transient failures. */
  async storeDead(rows: readonly DeadRow[], reason: 'encode' | 'rejected'): Promise<void> {
    if (rows.length === 0) return;
    const body = rows
      .map(
        (row) =>
          `{"event_id":${JSON.stringify(row.eventId)},"seq":${String(row.seq < 0n ? 0n : row.seq)},` +
          `"error":${JSON.stringify(row.error)},"event":${JSON.stringify(row.event)}}`,
      )
      .join('\n');
    try {
      await this.#withRetry('dead-letter insert', () =>
        this.#o.connection.insertLines(
          this.#o.tables.deadLetter,
          DEAD_COLUMNS,
          'JSONEachRow',
          body,
        ),
      );
    } catch (error) {
      for (const row of rows) row.ack?.failed(error);
      throw error;
    }
    this.#o.metrics.rowsDeadLettered(this.#label, reason, rows.length);
    this.#o.logger.warn(
      { table: this.#label, rows: rows.length, reason, firstError: rows[0]?.error },
      'clickhouse: rows dead-lettered',
    );
    for (const row of rows) row.ack?.accepted();
  }

  async #storeSplitting(rows: readonly PendingRow[], lookup?: Lookup): Promise<void> {
    try {
      await this.#storeOnce(rows, lookup);
    } catch (error) {
      if (!isClickHouseError(error, 'MALFORMED_ROWS')) throw error;
      if (rows.length === 1) {
        const [only] = rows as [PendingRow];
        await this.storeDead(
          [
            {
              eventId: only.eventId,
              seq: only.seq,
              error: error.message,
              event: rowAsEventJson(only),
              ack: only.ack,
            },
          ],
          'rejected',
        );
        return;
      }
      const middle = Math.ceil(rows.length / 2);
      await this.#storeSplitting(rows.slice(0, middle));
      await this.#storeSplitting(rows.slice(middle));
    }
  }

  async #storeOnce(rows: readonly PendingRow[], lookup?: Lookup): Promise<void> {
    const started = performance.now();
    let fresh: readonly PendingRow[] | undefined;
    let prepared = lookup;
    await this.#withRetry('insert', async () => {
      // With deduplication tokens a retry re-sends exactly the rows and token of the first
      // attempt: if that attempt reached the raw table but not every view, the raw table drops
      // the block and each view that missed it takes it (deduplicate_blocks_in_dependent_
      // materialized_views). Without tokens every attempt looks again at what is stored.
      if (fresh === undefined || !this.#o.caps.dedupToken) {
        // Only the first attempt uses the lookup made ahead: later ones look again (the first
        // may have stored some rows, or the lookup itself failed).
        const ahead = prepared;
        prepared = undefined;
        fresh = this.#o.skipStoredEvents ? await this.#unstored(rows, ahead) : rows;
      }
      if (fresh.length === 0) return;
      const settings = this.#o.caps.dedupToken
        ? {
            insert_deduplication_token: dedupToken(fresh),
            deduplicate_blocks_in_dependent_materialized_views: 1,
          }
        : undefined;
      await this.#o.connection.insertLines(
        this.#o.tables.raw,
        RAW_COLUMNS,
        'TabSeparated',
        batchBody(fresh),
        { settings },
      );
    });
    const send = fresh ?? rows;
    const bytes = send.reduce((sum, row) => sum + row.bytes, 0);
    if (send.length > 0) {
      this.#o.metrics.batchInserted(
        this.#label,
        send.length,
        bytes,
        (performance.now() - started) / 1000,
      );
    }
    if (send.length < rows.length) {
      const sent = new Set(send);
      const stored = rows.filter((row) => !sent.has(row)).map((pending) => pending.row);
      const repaired = await this.#withRetry('aggregate repair', () =>
        repairViews(this.#o.connection, this.#o.tables, this.#o.caps, this.#aggregates, stored),
      );
      if (repaired.length > 0) {
        this.#o.logger.warn(
          { table: this.#label, rows: stored.length, views: repaired },
          'clickhouse: rows already stored had not reached every aggregate; added them there',
        );
      }
      this.#o.metrics.duplicatesSkipped(this.#label, stored.length);
    }
    for (const row of rows) row.ack?.accepted();
  }

  /** The rows whose event id is not stored yet (by the prepared lookup when there is one). */
  async #unstored(rows: readonly PendingRow[], lookup?: Lookup): Promise<readonly PendingRow[]> {
    const pending = lookup?.stored;
    // A lookup made ahead that failed (the server was down then) is simply made again now.
    const stored =
      pending === undefined
        ? await this.#storedIds(rows)
        : await pending.catch(() => this.#storedIds(rows));
    // Rows stored after the lookup started count too. The lookup itself finds stored events
    // within the batch's seq range (an event id always comes with the same seq), so only
    // rows whose seq range overlaps this batch's can hold one of its events.
    const also = lookup?.alsoStored;
    const range = lookup?.range;
    const alsoIds =
      also !== undefined &&
      (range === undefined || (also.minSeq <= range.maxSeq && range.minSeq <= also.maxSeq))
        ? new Set(also.rows.map(({ eventId }) => eventId))
        : undefined;
    if (stored.size === 0 && (alsoIds === undefined || alsoIds.size === 0)) return rows;
    return rows.filter(({ eventId }) => !stored.has(eventId) && !(alsoIds?.has(eventId) ?? false));
  }

  /** The event ids of `rows` already stored, looked up in the batch's time and seq range. */
  async #storedIds(
    rows: readonly PendingRow[],
    range: SeqRange = seqRange(rows),
  ): Promise<ReadonlySet<string>> {
    let minT = rows[0]?.timestampMicros ?? 0n;
    let maxT = minT;
    for (const { timestampMicros } of rows) {
      if (timestampMicros < minT) minT = timestampMicros;
      else if (timestampMicros > maxT) maxT = timestampMicros;
    }
    const { minSeq, maxSeq } = range;
    const precise = this.#o.caps.dateTime64;
    const literal = (micros: bigint, roundUp: boolean): string => {
      if (precise) return `toDateTime64(${quoteString(formatTimestamp(micros, true))}, 6, 'UTC')`;
      const seconds = roundUp ? (micros + 999_999n) / 1_000_000n : micros / 1_000_000n;
      return `toDateTime(${quoteString(formatTimestamp(seconds * 1_000_000n, false))}, 'UTC')`;
    };
    const stored = await this.#o.connection.query<{ event_id: string }>(
      `SELECT event_id FROM ${this.#o.tables.raw}
WHERE timestamp >= ${literal(minT, false)} AND timestamp <= ${literal(maxT, true)}
  AND seq >= ${String(minSeq)} AND seq <= ${String(maxSeq)}`,
    );
    return new Set(stored.map((row) => row.event_id));
  }

  async #withRetry<T>(doing: string, attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        const result = await attempt();
        this.#o.onOutcome(undefined);
        return result;
      } catch (error) {
        const failure = isClickHouseError(error)
          ? error
          : new ClickHouseError('REJECTED', `${doing}: ${String(error)}`, { cause: error });
        this.#o.metrics.insertFailed(this.#label, failure.code);
        // Refusing some rows as malformed is the server working: the connection is fine.
        this.#o.onOutcome(failure.code === 'MALFORMED_ROWS' ? undefined : failure);
        if (!isTransient(failure)) throw failure;
        if (this.#o.stop.aborted) {
          throw new ClickHouseError(
            'UNAVAILABLE',
            `${doing}: gave up after ${String(n)} attempts while closing: ${failure.message}`,
            { cause: failure },
          );
        }
        const delay = backoffDelay(n, this.#o.retry.initialDelay, this.#o.retry.maxDelay);
        this.#o.metrics.insertRetried(this.#label);
        this.#o.logger.warn(
          { table: this.#label, attempt: n, delayMs: delay, error: failure.message },
          `clickhouse: ${doing} failed, retrying`,
        );
        await pause(delay, this.#o.stop);
      }
    }
  }
}

/** The rows' encoded lines end to end, as UTF-8: the insert's request body. */
function batchBody(rows: readonly PendingRow[]): Buffer {
  let bytes = 0;
  for (const row of rows) bytes += row.bytes;
  const body = Buffer.allocUnsafe(bytes);
  let offset = 0;
  for (const { line } of rows) {
    if (typeof line === 'string') {
      offset += body.write(line, offset);
    } else {
      body.set(line, offset);
      offset += line.length;
    }
  }
  return offset === bytes ? body : body.subarray(0, offset);
}

/** The same rows always give the same token, so a re-sent batch is dropped by the server. */
function dedupToken(rows: readonly PendingRow[]): string {
  const hash = createHash('sha256');
  for (const { eventId } of rows) hash.update(eventId).update('\n');
  return hash.digest('hex');
}

function rowAsEventJson(pending: PendingRow): string {
  const { row } = pending;
  return JSON.stringify({
    id: row.eventId,
    seq: row.seq.toString(),
    eventType: row.eventType,
    entityType: row.entityType,
    entityId: row.entityId,
    tenantId: row.tenantId,
    userId: row.userId,
    timestampMicros: row.timestampMicros.toString(),
    data: row.data,
  });
}
