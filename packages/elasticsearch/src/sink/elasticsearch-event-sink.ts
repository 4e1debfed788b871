import { silentLogger, type EntityEvent, type EventSink, type Logger } from '@fraiseql/core';

import type { ElasticsearchConnection } from '../client/elasticsearch-connection.js';
import type { SinkDeadLetters } from '../dead-letters/sink-dead-letters.js';
import { bulkItem, type BulkItem } from '../documents/bulk-item.js';
import { eventDocumentJson } from '../documents/event-document.js';
import { ElasticsearchError } from '../errors.js';
import {
  noopElasticsearchMetrics,
  type ElasticsearchMetrics,
} from '../metrics/elasticsearch-metrics.js';
import { ensureEventTemplates } from '../setup/ensure-event-templates.js';
import { eventIndexLayout, type EventIndexLayout } from '../setup/event-index-layout.js';
import { createBulkWriter, type BulkOutcome } from './bulk-writer.js';
import {
  eventSinkConfigSchema,
  type EventSinkConfig,
  type EventSinkConfigInput,
} from './event-sink-config.js';

/** Options of {@link createElasticsearchEventSink}. */
export interface ElasticsearchEventSinkOptions {
  readonly connection: ElasticsearchConnection;
  /** Where refused documents go; the sink acknowledges nothing before they are stored there. */
  readonly deadLetters: SinkDeadLetters;
  /** Settings (validated with `eventSinkConfigSchema`). @defaultValue all defaults */
  readonly config?: EventSinkConfigInput;
  /** @defaultValue `silentLogger` */
  readonly logger?: Logger;
  /** @defaultValue `noopElasticsearchMetrics` */
  readonly metrics?: ElasticsearchMetrics;
  /** Backoff jitter source. @defaultValue `Math.random` */
  readonly random?: () => number;
}

/** Totals since the sink was created. */
export interface EventSinkStats extends BulkOutcome {
  /** Documents buffered, not yet sent. */
  readonly buffered: number;
}

/** The Elasticsearch event-history sink: an {@link EventSink} with stats and its layout. */
export interface ElasticsearchEventSink extends EventSink {
  readonly kind: 'elasticsearch';
  readonly layout: EventIndexLayout;
  readonly config: EventSinkConfig;
  stats(): EventSinkStats;
}

/**
 * An {@link EventSink} that stores every event as a document with `_id` = event id (re-sends
 * are idempotent) in monthly indices or a data stream, through `_bulk` requests sized by bytes
 * and count. `flush()` resolves only when every buffered document is stored, known already
 * stored, or written to `deadLetters`; `refresh` is never requested.
 *
 * @throws {ElasticsearchError} `CONFIG_INVALID` for invalid `config`.
 */
export function createElasticsearchEventSink(
  options: ElasticsearchEventSinkOptions,
): ElasticsearchEventSink {
  const parsed = eventSinkConfigSchema.safeParse(options.config ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ElasticsearchError(
      'CONFIG_INVALID',
      `elasticsearch sink config${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const config = parsed.data;
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? noopElasticsearchMetrics;
  const layout = eventIndexLayout(config.index.prefix, config.index.mode);
  const writer = createBulkWriter({
    connection: options.connection,
    deadLetters: options.deadLetters,
    metrics,
    logger,
    maxBatchBytes: config.batch.maxBytes,
    maxBatchDocs: config.batch.maxDocs,
    concurrency: config.batch.concurrency,
    maxRetries: config.retry.maxRetries,
    retryBaseDelayMs: config.retry.baseDelay,
    retryMaxDelayMs: config.retry.maxDelay,
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  const documentOptions = { searchText: config.searchText };

  let buffer: BulkItem[] = [];
  let unserialisable: { event: EntityEvent; error: string }[] = [];
  let flushing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let ready: Promise<void> | undefined;
  let closed = false;
  const totals = { indexed: 0, duplicates: 0, deadLettered: 0 };

  const ensureReady = (signal?: AbortSignal): Promise<void> => {
    if (!config.setup) return Promise.resolve();
    ready ??= ensureEventTemplates(
      options.connection,
      layout,
      {
        dataMapping: config.dataMapping,
        deleteAfterDays: config.retentionDays,
      },
      signal,
    ).then(
      (setup) => {
        logger.info({ applied: setup.applied }, 'elasticsearch sink: templates in place');
      },
      (error: unknown) => {
        ready = undefined;
        throw error;
      },
    );
    return ready;
  };

  const flushOnce = async (signal?: AbortSignal): Promise<void> => {
    await ensureReady(signal);
    const items = buffer;
    const broken = unserialisable;
    buffer = [];
    unserialisable = [];
    let brokenStored = false;
    try {
      if (broken.length > 0) {
        await options.deadLetters.add(
          broken.map(({ event, error }) => ({
            eventId: event.id,
            entityType: event.entityType,
            entityId: event.entityId,
            index: safeIndex(layout, event),
            operation: layout.operation,
            document: safeEventJson(event),
            errorType: 'serialization',
            errorReason: error,
          })),
          signal === undefined ? {} : { signal },
        );
        metrics.itemFailed('sink', 'serialization', broken.length);
        metrics.deadLettered('sink', broken.length);
        totals.deadLettered += broken.length;
      }
      brokenStored = true;
      const outcome = await writer.write(items, signal);
      totals.indexed += outcome.indexed;
      totals.duplicates += outcome.duplicates;
      totals.deadLettered += outcome.deadLettered;
    } catch (error) {
      // Nothing of this flush is acknowledged: keep it for the next one (sends are idempotent).
      buffer = [...items, ...buffer];
      if (!brokenStored) unserialisable = [...broken, ...unserialisable];
      throw error;
    }
  };

  const flush = (flushOptions: { signal?: AbortSignal } = {}): Promise<void> => {
    const previous = flushing ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        if (buffer.length === 0 && unserialisable.length === 0) return;
        await flushOnce(flushOptions.signal);
      });
    flushing = run;
    void run
      .finally(() => {
        if (flushing === run) flushing = undefined;
      })
      .catch(() => undefined);
    return run;
  };

  const schedule = (): void => {
    if (timer !== undefined || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      flush().catch((error: unknown) => {
        logger.warn(
          { error: error instanceof Error ? error.message : String(error) },
          'elasticsearch sink: background flush failed; documents stay buffered',
        );
        if (buffer.length > 0) schedule();
      });
    }, config.batch.flushInterval);
    timer.unref();
  };

  const write = async (
    events: readonly EntityEvent[],
    writeOptions: { signal?: AbortSignal } = {},
  ): Promise<void> => {
    if (closed) throw new ElasticsearchError('CLOSED', 'elasticsearch sink: closed');
    for (const event of events) {
      try {
        buffer.push(
          bulkItem(
            event,
            layout.indexOf(event),
            layout.operation,
            eventDocumentJson(event, documentOptions),
          ),
        );
      } catch (error) {
        unserialisable.push({
          event,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    if (buffer.length >= config.batch.maxBufferedDocs) {
      await flush(writeOptions);
    } else if (buffer.length >= config.batch.maxDocs * config.batch.concurrency) {
      void flush().catch(() => {
        schedule();
      });
    } else {
      schedule();
    }
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    await flush();
  };

  return {
    kind: 'elasticsearch',
    layout,
    config,
    write,
    flush,
    close,
    stats: () => ({ ...totals, buffered: buffer.length + unserialisable.length }),
    [Symbol.asyncDispose]: close,
  };
}

function safeIndex(layout: EventIndexLayout, event: EntityEvent): string {
  try {
    return layout.indexOf(event);
  } catch {
    return layout.prefix;
  }
}

function safeEventJson(event: EntityEvent): string {
  try {
    return JSON.stringify({
      id: event.id,
      seq: String(event.seq),
      entityType: event.entityType,
      entityId: event.entityId,
    });
  } catch {
    return '{}';
  }
}
