import { CoreError } from '../errors/core-error.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import { parseDuration, type DurationInput } from '../time/duration.js';
import type { EventSink } from './event-sink.js';
import type { Delivery, DeliveryOutcome, EventSource } from './event-source.js';

/** Options of {@link createEventSinkConsumer}. */
export interface EventSinkConsumerOptions {
  /** Any event source (change log, NATS, memory). */
  readonly source: EventSource;
  /** Any event sink; it is not closed by the consumer. */
  readonly sink: EventSink;
  /** Events handed to the sink per flush. @defaultValue `1000` */
  readonly batchSize?: number;
  /** Longest an event waits for its batch to fill. @defaultValue `'250ms'` */
  readonly maxWait?: DurationInput;
  /** First redelivery delay after a failed flush (doubles per failure, full jitter). @defaultValue `'1s'` */
  readonly retryDelay?: DurationInput;
  /** @defaultValue `'1m'` */
  readonly maxRetryDelay?: DurationInput;
  /**
   * How long `close()` waits for the batch being written; then the write is aborted and its
   * events are handed back for redelivery. @defaultValue `'30s'`
   */
  readonly closeTimeout?: DurationInput;
  /** @defaultValue `silentLogger` */
  readonly logger?: Logger;
}

/** Counters of a {@link EventSinkConsumer}. */
export interface EventSinkConsumerStats {
  /** Events acknowledged to the source after the sink flushed them. */
  readonly acknowledged: number;
  /** Flushes that failed (their events were handed back for redelivery). */
  readonly failedFlushes: number;
  /** Events waiting for their batch. */
  readonly pending: number;
}

/** Feeds a source into a sink, acknowledging events only once the sink flushed them. */
export interface EventSinkConsumer extends AsyncDisposable {
  /** Starts the source; resolves once it runs. */
  start(options?: { readonly signal?: AbortSignal }): Promise<void>;
  stats(): EventSinkConsumerStats;
  /** Stops the source, flushes what it handed out, then closes the source (not the sink). */
  close(): Promise<void>;
}

/**
 * Runs an {@link EventSink} behind an {@link EventSource}: deliveries are grouped into batches
 * (by count and wait), each batch is written and flushed, and only then is every delivery of it
 * settled `done`. A failed flush settles the batch `retry` with backoff, so the source delivers
 * it again; nothing is acknowledged that the sink did not confirm.
 *
 * @throws {CoreError} `INVALID_ARGUMENT` for a `batchSize` that is not a positive integer.
 * @example
 * const consumer = createEventSinkConsumer({ source, sink });
 * await consumer.start();
 */
export function createEventSinkConsumer(options: EventSinkConsumerOptions): EventSinkConsumer {
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `batchSize: expected a positive integer, got ${batchSize}`,
    );
  }
  const maxWait = parseDuration(options.maxWait ?? '250ms');
  const retryDelay = parseDuration(options.retryDelay ?? '1s');
  const maxRetryDelay = parseDuration(options.maxRetryDelay ?? '1m');
  const closeTimeout = parseDuration(options.closeTimeout ?? '30s');
  const logger = options.logger ?? silentLogger;
  const stop = new AbortController();
  // Aborts the write in flight when close() has waited closeTimeout for it.
  const giveUp = new AbortController();
  let pending: Delivery[] = [];
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let failures = 0;
  let acknowledged = 0;
  let failedFlushes = 0;
  let started = false;
  let closed = false;

  const settleAll = async (batch: readonly Delivery[], outcome: DeliveryOutcome) => {
    const results = await Promise.allSettled(batch.map((delivery) => delivery.settle(outcome)));
    for (const result of results) {
      if (result.status === 'rejected') {
        logger.warn(
          { error: String(result.reason) },
          'event sink consumer: settling a delivery failed',
        );
      }
    }
  };

  const runBatch = async (batch: Delivery[]): Promise<void> => {
    const heartbeat = setInterval(() => {
      for (const delivery of batch) void delivery.heartbeat().catch(() => undefined);
    }, 10_000);
    heartbeat.unref();
    try {
      const signal = giveUp.signal;
      await options.sink.write(
        batch.map((delivery) => delivery.event),
        { signal },
      );
      await options.sink.flush({ signal });
    } catch (error) {
      failures += 1;
      failedFlushes += 1;
      const ceiling = Math.min(maxRetryDelay, retryDelay * 2 ** Math.min(failures - 1, 30));
      const delayMs = Math.max(1, Math.floor(Math.random() * ceiling));
      logger.warn(
        {
          error: error instanceof Error ? error.message : String(error),
          events: batch.length,
          delayMs,
        },
        'event sink consumer: flush failed; events handed back for redelivery',
      );
      clearInterval(heartbeat);
      await settleAll(batch, { status: 'retry', delayMs, error });
      return;
    }
    clearInterval(heartbeat);
    failures = 0;
    await settleAll(batch, { status: 'done' });
    acknowledged += batch.length;
  };

  const cut = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    chain = chain
      .then(() => runBatch(batch))
      .catch((error: unknown) => {
        logger.error({ error: String(error) }, 'event sink consumer: batch failed unexpectedly');
      });
  };

  const onDelivery = (delivery: Delivery): void => {
    pending.push(delivery);
    if (pending.length >= batchSize) cut();
    else timer ??= setTimeout(cut, maxWait);
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    stop.abort();
    cut();
    const deadline = setTimeout(() => {
      giveUp.abort(
        new CoreError('CLOSED', 'event sink consumer: closed before the sink stored the batch'),
      );
    }, closeTimeout);
    try {
      await chain;
    } finally {
      clearTimeout(deadline);
    }
    if (started) await options.source.close();
  };

  return {
    async start(startOptions = {}) {
      if (started) throw new CoreError('INVALID_ARGUMENT', 'event sink consumer: already started');
      started = true;
      const signal =
        startOptions.signal === undefined
          ? stop.signal
          : AbortSignal.any([stop.signal, startOptions.signal]);
      await options.source.start({ onDelivery, maxInFlight: batchSize * 2, signal });
    },
    stats: () => ({ acknowledged, failedFlushes, pending: pending.length }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
