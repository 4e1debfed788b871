import {
  ServiceHealthTracker,
  createChangeLogReader,
  isCopyRefused,
  serializeEvent,
  silentLogger,
  type DurationInput,
  type SqlClient,
  type ServiceHealth,
  type ServiceHealthReporter,
  type Delivery,
  type EntityEvent,
  type EventSink,
  type EventSource,
  type Logger,
} from '@fraiseql/core';
import type { ClickHouseConnection } from '../connection/clickhouse-connection.js';
import { createHttpConnection } from '../connection/http-connection.js';
import { isTransient } from '../connection/classify-failure.js';
import {
  parseClickHouseSinkConfig,
  type ClickHouseSinkConfig,
  type ClickHouseSinkConfigInput,
} from '../config/clickhouse-sink-config.js';
import { ClickHouseError } from '../errors.js';
import {
  noopClickHouseSinkMetrics,
  type ClickHouseSinkMetrics,
} from '../metrics/clickhouse-sink-metrics.js';
import { eventTables, type EventTables } from '../schema/event-tables.js';
import { migrateEventSchema } from '../schema/migrate.js';
import { detectCapabilities, type ServerCapabilities } from '../schema/server-capabilities.js';
import type { ArrowRecordBatch } from '../arrow/arrow-types.js';
import { recordBatchRows } from '../arrow/record-batch-rows.js';
import { backoffDelay, pause } from './backoff.js';
import { BatchInserter, type PreparedBatch, type StoredRows } from './batch-inserter.js';
import { startChangeLogPipe, type ChangeLogPipe, type PipePage } from './change-log-pipe.js';
import { encodeRow } from './encode-row.js';
import { PartsGuard } from './parts-guard.js';
import type { DeadRow, PendingRow } from './pending-row.js';
import { changeLogTextSelect, textRows } from './text-row.js';
import { RowAck } from './row-ack.js';
import { eventToRow, type SinkRow } from './sink-row.js';
import type { ClickHouseSinkHealth } from './sink-health.js';

/** Options of {@link createClickHouseSink}. */
export type ClickHouseSinkOptions = ClickHouseSinkConfigInput & {
  /** Server URL (`http://user:pass@host:8123`); or pass `connection`. @defaultValue `CLICKHOUSE_URL` */
  readonly url?: string | undefined;
  /** A connection to use instead of `url` (not closed by the sink). */
  readonly connection?: ClickHouseConnection | undefined;
  /** @defaultValue silence */
  readonly logger?: Logger | undefined;
  /** @defaultValue {@link noopClickHouseSinkMetrics} */
  readonly metrics?: ClickHouseSinkMetrics | undefined;
  /** Stops waiting for the server at start. */
  readonly signal?: AbortSignal | undefined;
};

/** A running pipe from an event source into the sink ({@link ClickHouseSink.consume}). */
export interface SinkPipe extends AsyncDisposable {
  /** Stops fetching, stores what is buffered, then closes the source. */
  close(): Promise<void>;
}

/** Options of {@link ClickHouseSink.consumeChangeLog}. */
export interface ConsumeChangeLogOptions {
  /**
   * The change-log reader's name: its saved position and lease in
   * `core.tb_change_log_reader`. @defaultValue 'clickhouse'
   */
  readonly reader?: string | undefined;
  /** Change-log rows per page. @defaultValue the sink's `batch.maxRows` */
  readonly pageSize?: number | undefined;
  /**
   * Longest pause between reads while the change log has nothing new (a change-log `NOTIFY`
   * ends it sooner unless `listen` is false). @defaultValue '250ms'
   */
  readonly pollInterval?: DurationInput | undefined;
  /** Wake up on the change log's `NOTIFY` (one more connection). @defaultValue true */
  readonly listen?: boolean | undefined;
  /** Lease of the reader (one instance loads at a time). @defaultValue '30s' */
  readonly leaseTtl?: DurationInput | undefined;
}

/** The ClickHouse event sink: see {@link createClickHouseSink}. */
export interface ClickHouseSink extends EventSink, ServiceHealthReporter {
  readonly kind: 'clickhouse';
  readonly capabilities: ServerCapabilities;
  readonly tables: EventTables;
  readonly connection: ClickHouseConnection;
  /** Whether rows already stored are skipped before each insert (`skipStoredEvents`). */
  readonly skipsStoredEvents: boolean;
  /**
   * Buffers Arrow rows in the event schema (DESIGN.md §3); resolves once ClickHouse accepted
   * every one of them (or dead-lettered it), so a caller can acknowledge its own source then.
   *
   * @throws {ClickHouseError} `ARROW_SCHEMA` for a batch not in the event schema
   */
  writeArrow(batch: ArrowRecordBatch, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Delivers a source's events into ClickHouse; each delivery is settled `done` only after the
   * batch holding it was accepted (a crash means redelivery, never loss). The source pauses
   * while `maxInFlight` deliveries wait.
   */
  consume(
    source: EventSource,
    options?: { readonly maxInFlight?: number; readonly signal?: AbortSignal },
  ): Promise<SinkPipe>;
  /**
   * Loads `db`'s change log into ClickHouse in pages through a change-log reader
   * (`createChangeLogReader` of `@fraiseql/core`): each page's position is committed only
   * after ClickHouse accepted all of its rows, so a crash or restart reads the page again and
   * the sink skips what it already holds. The fastest way from PostgreSQL into ClickHouse: no
   * per-event bookkeeping in PostgreSQL (the observers' change-log source behind
   * {@link consume} claims and settles every event). One instance holds a reader at a time;
   * a second one waits for the lease. Returns at once; the load runs in the background,
   * waiting and retrying while PostgreSQL or ClickHouse is away.
   *
   * @throws {CoreError} `INVALID_ARGUMENT` for bad options
   */
  consumeChangeLog(db: SqlClient, options?: ConsumeChangeLogOptions): ChangeLogPipe;
  health(): ClickHouseSinkHealth;
  /** The sink's one connection, for a host's health report. */
  services(): readonly ServiceHealth[];
}

/**
 * Connects to ClickHouse (waiting with backoff while it is unreachable), picks the DDL for its
 * version, applies the schema migrations and returns a sink that batches rows by count, bytes
 * and age, inserts each batch once with retries on transient failures, skips events already
 * stored, dead-letters rows the server refuses, and slows down before `TOO_MANY_PARTS`.
 *
 * @throws {ClickHouseError} `INVALID_ARGUMENT` for bad options; `REJECTED` when the schema
 * cannot be created; the abort reason when `signal` aborts while waiting
 */
export async function createClickHouseSink(
  options: ClickHouseSinkOptions,
): Promise<ClickHouseSink> {
  const config = parseClickHouseSinkConfig(options);
  const logger = options.logger ?? silentLogger;
  const url = options.url ?? process.env.CLICKHOUSE_URL;
  if (options.connection === undefined && (url === undefined || url === '')) {
    throw new ClickHouseError(
      'INVALID_ARGUMENT',
      'clickhouse: pass `url` or `connection`, or set CLICKHOUSE_URL',
    );
  }
  const connection = options.connection ?? createHttpConnection({ url: url ?? '', logger });
  const tables = eventTables(config.database, config.table);
  try {
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted();
      try {
        const caps = await detectCapabilities(connection, { signal: options.signal });
        if (config.migrate) {
          await migrateEventSchema(connection, tables, caps, {
            ttlDays: config.ttlDays,
            logger,
            signal: options.signal,
          });
        }
        return new Sink(connection, options.connection === undefined, tables, caps, config, {
          logger,
          metrics: options.metrics ?? noopClickHouseSinkMetrics,
        });
      } catch (error) {
        if (!isTransient(error) || options.signal?.aborted === true) throw error;
        const delay = backoffDelay(attempt, config.retry.initialDelay, config.retry.maxDelay);
        logger.warn(
          { attempt, delayMs: delay, error: (error as Error).message },
          'clickhouse: server unreachable at start, retrying',
        );
        await pause(delay, options.signal);
      }
    }
  } catch (error) {
    if (options.connection === undefined) await connection.close();
    throw error;
  }
}

class Sink implements ClickHouseSink {
  readonly kind = 'clickhouse' as const;
  readonly skipsStoredEvents: boolean;
  readonly #owned: boolean;
  readonly #config: ClickHouseSinkConfig;
  readonly #logger: Logger;
  readonly #metrics: ClickHouseSinkMetrics;
  readonly #inserter: BatchInserter;
  readonly #parts: PartsGuard;
  readonly #stop = new AbortController();
  #buffer: PendingRow[] = [];
  #bufferBytes = 0;
  #dead: DeadRow[] = [];
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #enqueued = 0;
  #done = 0;
  #flushTarget = 0;
  #failures = 0;
  #lastFailure: unknown;
  #closing: Promise<void> | undefined;
  #progress: (() => void)[] = [];
  readonly #service: ServiceHealthTracker;

  constructor(
    readonly connection: ClickHouseConnection,
    owned: boolean,
    readonly tables: EventTables,
    readonly capabilities: ServerCapabilities,
    config: ClickHouseSinkConfig,
    deps: { logger: Logger; metrics: ClickHouseSinkMetrics },
  ) {
    this.#owned = owned;
    this.#config = config;
    this.skipsStoredEvents = config.skipStoredEvents;
    this.#logger = deps.logger;
    this.#metrics = deps.metrics;
    this.#service = new ServiceHealthTracker({
      name: 'clickhouse',
      kind: 'clickhouse',
      target: connection.description,
      initial: 'up',
    });
    this.#service.onChange((health) => {
      this.#metrics.serviceState(health);
      if (health.state === 'up') this.#logger.info({}, 'clickhouse: inserts succeed again');
    });
    this.#inserter = new BatchInserter({
      connection,
      tables,
      caps: capabilities,
      skipStoredEvents: config.skipStoredEvents,
      retry: config.retry,
      metrics: this.#metrics,
      logger: this.#logger,
      stop: this.#stop.signal,
      onOutcome: (error) => {
        this.#onOutcome(error);
      },
    });
    this.#parts = new PartsGuard({
      connection,
      tables,
      maxActiveParts: config.backpressure.maxActiveParts,
      checkInterval: config.backpressure.checkInterval,
      logger: this.#logger,
    });
    this.#metrics.serviceState(this.#service.snapshot());
  }

  async write(
    events: readonly EntityEvent[],
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    this.#assertOpen();
    await this.#room(options.signal);
    const now = Date.now();
    for (const event of events) this.#acceptRow(event, eventToRow(event), undefined, now);
    this.#accepted();
  }

  async writeArrow(batch: ArrowRecordBatch, options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#assertOpen();
    const rows = recordBatchRows(batch);
    await this.#room(options.signal);
    await new Promise<void>((resolve, reject) => {
      const ack = new RowAck(rows.length, resolve, reject);
      const now = Date.now();
      for (const row of rows) this.#acceptRow(undefined, row, ack, now);
      this.#accepted();
    });
  }

  async consume(
    source: EventSource,
    options: { readonly maxInFlight?: number; readonly signal?: AbortSignal } = {},
  ): Promise<SinkPipe> {
    this.#assertOpen();
    const stop = new AbortController();
    const onAbort = (): void => {
      stop.abort();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    await source.start({
      maxInFlight: options.maxInFlight ?? this.#config.maxBufferedRows,
      signal: stop.signal,
      onDelivery: (delivery) => {
        this.#acceptDelivery(delivery);
      },
    });
    let closed: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closed ??= (async () => {
        stop.abort();
        options.signal?.removeEventListener('abort', onAbort);
        await this.flush().catch(() => undefined);
        await source.close();
      })());
    return { close, [Symbol.asyncDispose]: close };
  }

  consumeChangeLog(db: SqlClient, options: ConsumeChangeLogOptions = {}): ChangeLogPipe {
    this.#assertOpen();
    const reader = createChangeLogReader(db, {
      reader: options.reader ?? 'clickhouse',
      pageSize: options.pageSize ?? this.#config.batch.maxRows,
      pollInterval: options.pollInterval,
      listen: options.listen,
      leaseTtl: options.leaseTtl,
      logger: this.#logger,
    });
    // The rows PostgreSQL can write as raw-table lines come as COPY text (no string or object
    // per value here); the rest, and every row where COPY is not available, as events.
    const select = changeLogTextSelect(this.capabilities.dateTime64);
    let asText = db.copyOut !== undefined;
    const read = async (signal: AbortSignal): Promise<PipePage> => {
      if (asText) {
        try {
          return await reader.readText(select, signal);
        } catch (error) {
          if (signal.aborted || !isCopyRefused(error)) throw error;
          asText = false;
          this.#logger.warn(
            { error: error instanceof Error ? error.message : String(error) },
            'clickhouse: the change log cannot be read as COPY text here; reading rows instead',
          );
        }
      }
      return reader.read(signal);
    };
    return startChangeLogPipe({
      reader,
      read,
      store: async (page, signal) => {
        await this.#room(signal);
        return { stored: this.#acceptPage(page) };
      },
      flush: () => this.flush(),
      retry: this.#config.retry,
      logger: this.#logger,
    });
  }

  async flush(options: { signal?: AbortSignal } = {}): Promise<void> {
    const target = this.#enqueued;
    const failuresBefore = this.#failures;
    this.#flushTarget = Math.max(this.#flushTarget, target);
    this.#kick();
    while (this.#done < target || this.#dead.length > 0) {
      options.signal?.throwIfAborted();
      await this.#nextProgress(options.signal);
    }
    if (this.#failures > failuresBefore) throw this.#lastFailure;
  }

  health(): ClickHouseSinkHealth {
    return {
      service: this.#service.snapshot(),
      serverVersion: this.capabilities.version,
      bufferedRows: this.#buffer.length,
      activeParts: this.#parts.activeParts,
    };
  }

  services(): readonly ServiceHealth[] {
    return [this.#service.snapshot()];
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const deadline = setTimeout(() => {
        this.#stop.abort();
      }, this.#config.closeTimeout);
      try {
        await this.flush().catch((error: unknown) => {
          this.#logger.error(
            { error: error instanceof Error ? error.message : String(error) },
            'clickhouse: rows not stored at close (a piped source redelivers them)',
          );
        });
      } finally {
        clearTimeout(deadline);
        this.#stop.abort();
        if (this.#timer !== undefined) clearTimeout(this.#timer);
        if (this.#owned) await this.connection.close();
        this.#service.closed();
      }
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) {
      throw new ClickHouseError('CLOSED', 'clickhouse sink: write after close()');
    }
  }

  #acceptDelivery(delivery: Delivery): void {
    const settle = (outcome: Parameters<Delivery['settle']>[0]): void => {
      delivery.settle(outcome).catch((error: unknown) => {
        this.#logger.warn(
          {
            eventId: delivery.event.id,
            error: error instanceof Error ? error.message : String(error),
          },
          'clickhouse: settling a delivery failed (it will be redelivered)',
        );
      });
    };
    const ack = new RowAck(
      1,
      () => {
        settle({ status: 'done' });
      },
      (error) => {
        settle({ status: 'retry', error, delayMs: this.#config.retry.maxDelay });
      },
    );
    this.#acceptRow(delivery.event, eventToRow(delivery.event), ack, Date.now());
    this.#accepted();
  }

  /** Buffers a change-log page under one acknowledgement; see consumeChangeLog. */
  #acceptPage(page: PipePage): Promise<void> {
    return new Promise((resolve, reject) => {
      const text = 'starts' in page ? page : undefined;
      const lines = text?.starts.length ?? 0;
      const ack = new RowAck(lines + page.events.length + page.malformed.length, resolve, reject);
      const now = Date.now();
      if (text !== undefined && lines > 0) {
        if (this.#buffer.length === 0) this.#arm(this.#config.batch.maxAge);
        for (const row of textRows(text, ack, now)) {
          this.#buffer.push(row);
          this.#bufferBytes += row.bytes;
        }
        this.#enqueued += lines;
      }
      for (const event of page.events) this.#acceptRow(event, eventToRow(event), ack, now);
      for (const row of page.malformed) {
        this.#dead.push({ eventId: row.id, seq: row.seq, error: row.error, event: row.row, ack });
      }
      this.#accepted();
    });
  }

  /** Encodes and buffers one row, or sets it aside for the dead-letter table; see #accepted. */
  #acceptRow(
    event: EntityEvent | undefined,
    row: SinkRow | { readonly error: string },
    ack: RowAck | undefined,
    now: number,
  ): void {
    const encoded = 'error' in row ? row : encodeRow(row, this.capabilities.dateTime64);
    if ('error' in encoded) {
      this.#dead.push({
        eventId: 'eventId' in row ? row.eventId : (event?.id ?? ''),
        seq: 'seq' in row ? row.seq : safeSeq(event),
        error: encoded.error,
        event: event === undefined ? JSON.stringify(row, bigintText) : safeSerialize(event),
        ack,
      });
      return;
    }
    if (this.#buffer.length === 0) this.#arm(this.#config.batch.maxAge);
    const stored = row as SinkRow;
    this.#buffer.push({
      eventId: stored.eventId,
      seq: stored.seq,
      timestampMicros: stored.timestampMicros,
      row: stored,
      line: encoded.line,
      bytes: encoded.bytes,
      ack,
      at: now,
    });
    this.#bufferBytes += encoded.bytes;
    this.#enqueued += 1;
  }

  /** After rows were accepted: reports the buffer and starts a batch when one is due. */
  #accepted(): void {
    this.#reportBuffer();
    if (this.#dead.length > 0 || this.#due()) this.#kick();
  }

  #due(): boolean {
    const oldest = this.#buffer[0];
    if (oldest === undefined) return false;
    const { batch } = this.#config;
    return (
      this.#buffer.length >= batch.maxRows ||
      this.#bufferBytes >= batch.maxBytes ||
      Date.now() - oldest.at >= batch.maxAge ||
      this.#done < this.#flushTarget ||
      this.#stop.signal.aborted
    );
  }

  #arm(ms: number): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#kick();
      },
      Math.max(0, ms),
    );
    this.#timer.unref();
  }

  #kick(): void {
    if (this.#loop !== undefined) return;
    this.#loop = this.#run().finally(() => {
      this.#loop = undefined;
      const oldest = this.#buffer[0];
      if (this.#dead.length > 0 || this.#due()) this.#kick();
      else if (oldest !== undefined)
        this.#arm(this.#config.batch.maxAge - (Date.now() - oldest.at));
    });
  }

  async #run(): Promise<void> {
    let ahead: PreparedBatch | undefined;
    let justStored: StoredRows | undefined;
    try {
      for (;;) {
        if (this.#dead.length > 0) {
          const dead = this.#dead;
          this.#dead = [];
          await this.#inserter.storeDead(dead, 'encode').catch((error: unknown) => {
            this.#recordFailure(error);
          });
          this.#signalProgress();
        }
        let batch = ahead;
        ahead = undefined;
        if (batch === undefined) {
          if (!this.#due()) return;
          const limit = await this.#waitForParts();
          batch = this.#inserter.prepare(this.#take(limit));
          justStored = undefined;
        } else {
          await this.#waitForParts();
        }
        // A full batch behind this one: look up its stored rows while this one is inserted.
        if (this.#buffer.length >= this.#config.batch.maxRows) {
          ahead = this.#inserter.prepare(this.#take(this.#config.batch.maxRows));
        }
        const rows = batch.rows;
        try {
          await this.#inserter.store(batch, justStored);
          this.#parts.inserted();
          // The lookup of the batch ahead may have run before these rows were stored.
          justStored = batch.range === undefined ? undefined : { rows, ...batch.range };
        } catch (error) {
          this.#recordFailure(error);
          justStored = undefined;
        }
        this.#done += rows.length;
        this.#reportBuffer();
        this.#signalProgress();
      }
    } finally {
      // Never strand a batch taken ahead: it goes back to the front of the buffer.
      if (ahead !== undefined) this.#giveBack(ahead.rows);
    }
  }

  #giveBack(rows: readonly PendingRow[]): void {
    const now = Date.now();
    for (const row of rows) {
      row.at = now;
      this.#bufferBytes += row.bytes;
    }
    this.#buffer.unshift(...rows);
    this.#reportBuffer();
  }

  /** Waits while the raw table has too many active parts; returns the row limit of the batch. */
  async #waitForParts(): Promise<number> {
    const { backpressure, batch } = this.#config;
    if (!(await this.#parts.overLimit())) return batch.maxRows;
    const started = Date.now();
    this.#logger.warn(
      { activeParts: this.#parts.activeParts, limit: backpressure.maxActiveParts },
      'clickhouse: too many active parts, waiting for merges and merging batches',
    );
    while (Date.now() - started < backpressure.maxWait && !this.#stop.signal.aborted) {
      await pause(backpressure.checkInterval, this.#stop.signal);
      if (!(await this.#parts.overLimit())) break;
    }
    this.#metrics.partsBackpressure(this.tables.plain.raw, (Date.now() - started) / 1000);
    // Rows that piled up while waiting go in one larger insert: fewer, bigger parts.
    return this.#config.maxBufferedRows;
  }

  #take(maxRows: number): PendingRow[] {
    let count = 0;
    let bytes = 0;
    const byteLimit = maxRows > this.#config.batch.maxRows ? Infinity : this.#config.batch.maxBytes;
    while (count < this.#buffer.length && count < maxRows) {
      const next = this.#buffer[count];
      if (next === undefined || (count > 0 && bytes + next.bytes > byteLimit)) break;
      bytes += next.bytes;
      count += 1;
    }
    this.#bufferBytes -= bytes;
    return this.#buffer.splice(0, count);
  }

  async #room(signal: AbortSignal | undefined): Promise<void> {
    while (this.#buffer.length >= this.#config.maxBufferedRows) {
      signal?.throwIfAborted();
      this.#kick();
      await this.#nextProgress(signal);
    }
  }

  #nextProgress(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#progress.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  #signalProgress(): void {
    const waiting = this.#progress;
    this.#progress = [];
    for (const wake of waiting) wake();
  }

  #recordFailure(error: unknown): void {
    this.#failures += 1;
    this.#lastFailure = error;
    this.#logger.error(
      { error: error instanceof Error ? error.message : String(error) },
      'clickhouse: batch not stored',
    );
  }

  #onOutcome(error: ClickHouseError | undefined): void {
    if (error === undefined) this.#service.up();
    else if (isTransient(error)) this.#service.reconnecting(error);
    else this.#service.down(error);
  }

  #reportBuffer(): void {
    this.#metrics.buffered(this.tables.plain.raw, this.#buffer.length, this.#bufferBytes);
  }
}

function safeSeq(event: EntityEvent | undefined): bigint {
  try {
    return BigInt(event?.seq ?? 0);
  } catch {
    return 0n;
  }
}

function safeSerialize(event: EntityEvent): string {
  try {
    return serializeEvent(event);
  } catch (error) {
    return JSON.stringify({ id: event.id, error: String(error) });
  }
}

function bigintText(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
