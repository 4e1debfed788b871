import { silentLogger, type Logger } from '@fraiseql/core';

import type { ElasticsearchConnection } from '../client/elasticsearch-connection.js';
import { errorReasonOf } from '../client/elasticsearch-failure.js';
import type { SinkDeadLetter, SinkDeadLetters } from '../dead-letters/sink-dead-letters.js';
import { bulkBody, type BulkItem } from '../documents/bulk-item.js';
import { ElasticsearchError, isElasticsearchError } from '../errors.js';
import type { ElasticsearchMetrics } from '../metrics/elasticsearch-metrics.js';
import { backoffDelay, sleep } from './backoff.js';

/** What one {@link BulkWriter.write} achieved: every item is in exactly one bucket. */
export interface BulkOutcome {
  /** Items stored. */
  readonly indexed: number;
  /** `create` items whose `_id` was already stored (a re-sent event). */
  readonly duplicates: number;
  /** Items refused for good and written to the dead-letter path. */
  readonly deadLettered: number;
}

/** Settings of a {@link BulkWriter}. */
export interface BulkWriterOptions {
  readonly connection: ElasticsearchConnection;
  readonly deadLetters: SinkDeadLetters;
  readonly metrics: ElasticsearchMetrics;
  readonly logger?: Logger;
  /** Most bytes of NDJSON per request. */
  readonly maxBatchBytes: number;
  /** Most documents per request. */
  readonly maxBatchDocs: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** Resends of an item after a retryable failure (429, 5xx, timeout, connection loss). */
  readonly maxRetries: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  /** @defaultValue `Math.random` (tests make backoff deterministic) */
  readonly random?: () => number;
}

/** Sends bulk items: batching by bytes and count, per-item retry, splitting, dead letters. */
export interface BulkWriter {
  /**
   * Resolves when every item is stored, a known duplicate or dead-lettered.
   *
   * @throws {ElasticsearchError} when items still fail after `maxRetries` (retryable), or the
   * dead-letter path failed: none of the items may be acknowledged then.
   */
  write(items: readonly BulkItem[], signal?: AbortSignal): Promise<BulkOutcome>;
}

const RETRYABLE_ITEM = (status: number): boolean =>
  status === 429 || status === 408 || status >= 500;

interface ItemResult {
  readonly status?: unknown;
  readonly error?: { readonly type?: unknown; readonly reason?: unknown } | string;
}

/** Creates a {@link BulkWriter}. */
export function createBulkWriter(options: BulkWriterOptions): BulkWriter {
  const logger = options.logger ?? silentLogger;
  const { connection, metrics, deadLetters } = options;

  const deadLetter = async (
    entries: readonly {
      item: BulkItem;
      status?: number | undefined;
      type: string;
      reason: string;
    }[],
    signal: AbortSignal | undefined,
  ): Promise<void> => {
    if (entries.length === 0) return;
    const letters: SinkDeadLetter[] = entries.map(({ item, status, type, reason }) => ({
      eventId: item.event.id,
      entityType: item.event.entityType,
      entityId: item.event.entityId,
      index: item.index,
      operation: item.operation,
      document: item.document,
      ...(status === undefined ? {} : { status }),
      errorType: type,
      errorReason: reason,
    }));
    await deadLetters.add(letters, signal === undefined ? {} : { signal });
    const byType = new Map<string, number>();
    for (const entry of entries) byType.set(entry.type, (byType.get(entry.type) ?? 0) + 1);
    for (const [type, count] of byType) metrics.itemFailed('sink', type, count);
    metrics.deadLettered('sink', entries.length);
    logger.warn(
      { count: entries.length, errorTypes: [...byType.keys()] },
      'elasticsearch sink: documents refused for good, written to the dead-letter path',
    );
  };

  const sendBatch = async (
    batch: readonly BulkItem[],
    signal: AbortSignal | undefined,
  ): Promise<BulkOutcome> => {
    let pending = batch;
    let indexed = 0;
    let duplicates = 0;
    let dead = 0;
    for (let attempt = 0; ; attempt += 1) {
      const ndjson = bulkBody(pending);
      if (pending.length > 1 && Buffer.byteLength(ndjson) > options.maxBatchBytes) {
        // Multi-byte text made the body larger than its character count: halve it.
        const half = Math.ceil(pending.length / 2);
        const first = await sendBatch(pending.slice(0, half), signal);
        const second = await sendBatch(pending.slice(half), signal);
        return {
          indexed: indexed + first.indexed + second.indexed,
          duplicates: duplicates + first.duplicates + second.duplicates,
          deadLettered: dead + first.deadLettered + second.deadLettered,
        };
      }
      const started = performance.now();
      let body: unknown;
      try {
        ({ body } = await connection.request(
          { method: 'POST', path: '/_bulk', bulkBody: ndjson },
          { doing: `bulk of ${pending.length} documents`, signal },
        ));
      } catch (error) {
        if (!isElasticsearchError(error)) throw error;
        if (error.status === 413 || error.status === 400) {
          // Too large, or a request the server could not read at all: halve until the one
          // document at fault stands alone, then dead-letter it.
          if (pending.length > 1) {
            const half = Math.ceil(pending.length / 2);
            const first = await sendBatch(pending.slice(0, half), signal);
            const second = await sendBatch(pending.slice(half), signal);
            return {
              indexed: indexed + first.indexed + second.indexed,
              duplicates: duplicates + first.duplicates + second.duplicates,
              deadLettered: dead + first.deadLettered + second.deadLettered,
            };
          }
          const status = error.status;
          await deadLetter(
            pending.map((item) => ({
              item,
              status,
              type: error.reason,
              reason: error.message,
            })),
            signal,
          );
          return { indexed, duplicates, deadLettered: dead + pending.length };
        }
        if (error.retryable && error.code !== 'ABORTED' && attempt < options.maxRetries) {
          metrics.itemFailed('sink', error.reason, pending.length);
          metrics.retried('sink', error.reason, pending.length);
          await sleep(retryDelay(attempt), signal);
          continue;
        }
        if (error.retryable) metrics.itemFailed('sink', error.reason, pending.length);
        throw error;
      }
      metrics.requestDuration('sink', 'bulk', (performance.now() - started) / 1000);
      const results = (body as { items?: unknown } | null | undefined)?.items;
      if (!Array.isArray(results) || results.length !== pending.length) {
        throw new ElasticsearchError(
          'REQUEST_REJECTED',
          `bulk: expected ${pending.length} item results, got ${Array.isArray(results) ? results.length : 'none'}`,
          { reason: 'protocol' },
        );
      }
      const retry: BulkItem[] = [];
      const retryReasons = new Map<string, number>();
      const refused: { item: BulkItem; status: number; type: string; reason: string }[] = [];
      let stored = 0;
      let conflicts = 0;
      pending.forEach((item, i) => {
        const result = (results[i] as Record<string, ItemResult | undefined> | undefined)?.[
          item.operation
        ];
        const status = typeof result?.status === 'number' ? result.status : 0;
        if (status >= 200 && status < 300) {
          stored += 1;
        } else if (status === 409 && item.operation === 'create') {
          conflicts += 1;
        } else if (RETRYABLE_ITEM(status) || status === 0) {
          retry.push(item);
          const reason = status === 429 ? 'http_429' : status === 0 ? 'protocol' : 'http_5xx';
          retryReasons.set(reason, (retryReasons.get(reason) ?? 0) + 1);
        } else {
          const error = result?.error;
          const type =
            typeof error === 'object' && typeof error.type === 'string'
              ? error.type
              : `http_${status}`;
          refused.push({
            item,
            status,
            type,
            reason: errorReasonOf({ error }) ?? `HTTP ${status}`,
          });
        }
      });
      indexed += stored;
      duplicates += conflicts;
      if (stored > 0) metrics.documentsIndexed('sink', stored);
      if (conflicts > 0) metrics.versionConflictSkipped('sink', conflicts);
      await deadLetter(refused, signal);
      dead += refused.length;
      if (retry.length === 0) return { indexed, duplicates, deadLettered: dead };
      for (const [reason, count] of retryReasons) metrics.itemFailed('sink', reason, count);
      if (attempt >= options.maxRetries) {
        throw new ElasticsearchError(
          'UNAVAILABLE',
          `bulk: ${retry.length} documents still refused after ${options.maxRetries} retries (${[...retryReasons.keys()].join(', ')})`,
          { retryable: true, reason: [...retryReasons.keys()][0] ?? 'http_5xx' },
        );
      }
      for (const [reason, count] of retryReasons) metrics.retried('sink', reason, count);
      pending = retry;
      await sleep(retryDelay(attempt), signal);
    }
  };

  const retryDelay = (attempt: number): number =>
    backoffDelay(attempt, options.retryBaseDelayMs, options.retryMaxDelayMs, options.random);

  return {
    async write(items, signal) {
      const batches = splitBatches(items, options.maxBatchDocs, options.maxBatchBytes);
      const outcomes: BulkOutcome[] = [];
      const queue = [...batches].reverse();
      const failures: unknown[] = [];
      const worker = async (): Promise<void> => {
        for (
          let batch = queue.pop();
          batch !== undefined && failures.length === 0;
          batch = queue.pop()
        ) {
          try {
            outcomes.push(await sendBatch(batch, signal));
          } catch (error) {
            failures.push(error);
          }
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(options.concurrency, batches.length) }, worker),
      );
      if (failures.length > 0) {
        throw failures[0] instanceof Error
          ? failures[0]
          : new ElasticsearchError('UNAVAILABLE', String(failures[0]), { retryable: true });
      }
      return outcomes.reduce(
        (sum, outcome) => ({
          indexed: sum.indexed + outcome.indexed,
          duplicates: sum.duplicates + outcome.duplicates,
          deadLettered: sum.deadLettered + outcome.deadLettered,
        }),
        { indexed: 0, duplicates: 0, deadLettered: 0 },
      );
    },
  };
}

/**
 * Cuts items into requests of at most `maxDocs` documents and about `maxBytes` bytes (one
 * oversized item alone), on each item's character count; {@link sendBatch} then measures the
 * exact UTF-8 size of each body and halves any that is over.
 */
export function splitBatches(
  items: readonly BulkItem[],
  maxDocs: number,
  maxBytes: number,
): BulkItem[][] {
  const batches: BulkItem[][] = [];
  let current: BulkItem[] = [];
  let size = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= maxDocs || size + item.chars > maxBytes)) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += item.chars;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
