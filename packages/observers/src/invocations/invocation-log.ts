import {
  parseDuration,
  silentLogger,
  type DurationInput,
  type Logger,
  type SqlClient,
} from '@fraiseql/core';
import { ObserverError } from '../errors.js';
import type { ActionAttempt } from '../execution/action-attempt.js';
import { noopObserverMetrics, type ObserverMetrics } from '../metrics/observer-metrics.js';
import type { Invocation, InvocationFilter } from './invocation.js';
import {
  errorClassOf,
  maskSecrets,
  pendingInvocation,
  redactBody,
  redactHeaders,
  type InvocationTag,
  type PendingInvocation,
} from './invocation-record.js';
import { queryInvocations } from './query-invocations.js';

/** Options of {@link createInvocationLog}. */
export interface InvocationLogOptions {
  /** The off switch: when false, `record` does nothing (reads still work). @defaultValue `true` */
  readonly enabled?: boolean | undefined;
  /** Rows per INSERT. @defaultValue `500` */
  readonly batchSize?: number | undefined;
  /** Longest a recorded attempt waits before it is written. @defaultValue `'1s'` */
  readonly flushInterval?: DurationInput | undefined;
  /** Attempts held in memory at most; beyond it new ones are dropped and counted. @defaultValue `10000` */
  readonly maxBuffered?: number | undefined;
  /** Characters of a response body kept. @defaultValue `1024` */
  readonly bodyExcerpt?: number | undefined;
  /** Rows older than this are deleted. @defaultValue `'7d'` */
  readonly maxAge?: DurationInput | undefined;
  /** Rows kept at most (the oldest go first). @defaultValue `1000000` */
  readonly maxRows?: number | undefined;
  /** Rows deleted per statement when pruning. @defaultValue `5000` */
  readonly pruneBatch?: number | undefined;
  /** How often the retention runs; `0` never (call `prune()` yourself). @defaultValue `'10m'` */
  readonly pruneInterval?: DurationInput | undefined;
  /** Receives `invocationsWritten`, `invocationsDropped`, `invocationsBuffered`. */
  readonly metrics?: ObserverMetrics | undefined;
  readonly logger?: Logger | undefined;
}

/** Counters of an {@link InvocationLog}. */
export interface InvocationLogStats {
  readonly enabled: boolean;
  /** Attempts waiting to be written. */
  readonly buffered: number;
  readonly written: number;
  /** Attempts dropped because the buffer was full. */
  readonly droppedFull: number;
  /** Attempts dropped because their batch could not be written. */
  readonly droppedFailed: number;
  /** Rows deleted by the retention. */
  readonly pruned: number;
}

/**
 * The invocation log: every action attempt (successes too) with its timing, outcome, HTTP status,
 * response headers and body excerpt, error class and message, in
 * `core.tb_observer_invocation` (observers migration 0015). Recording is synchronous and never
 * waits: attempts go into a bounded buffer written in batches; when the buffer is full new
 * attempts are dropped and counted, so a slow database never slows the observers.
 */
export interface InvocationLog {
  readonly enabled: boolean;
  /** The executor's `onAttempt`: buffers one finished attempt. Never throws. */
  readonly record: (attempt: ActionAttempt) => void;
  /**
   * Runs `run` with the attempts of (`eventId`, `observer`) marked as a redelivery or a
   * dead-letter retry by `actor`.
   */
  tagged<T>(
    key: { readonly eventId: string; readonly observer: string },
    tag: InvocationTag,
    run: () => Promise<T>,
  ): Promise<T>;
  /** Invocations matching `filter`, newest first (oldest first after `afterId`). */
  list(filter?: InvocationFilter): Promise<Invocation[]>;
  /** Writes what is buffered now. */
  flush(): Promise<void>;
  /** Deletes rows beyond the age and the row cap, in batches; returns how many. */
  prune(): Promise<number>;
  stats(): InvocationLogStats;
  /** Writes what is buffered and stops the timers. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const TABLE = 'core.tb_observer_invocation';

const INSERT = `INSERT INTO ${TABLE} (event_id, event_seq, event_type, entity_type, entity_id,
    observer, action_index, action_type, attempt, trigger, actor, started_at, duration_ms, outcome,
    summary, target, http_status, response_headers, response_body, error_code, error_type,
    error_class, error_message, retryable)
  SELECT event_id, event_seq, event_type, entity_type, entity_id, observer, action_index,
    action_type, attempt, trigger, actor, started_at, duration_ms, outcome, summary, target,
    http_status, response_headers, response_body, error_code, error_type, error_class,
    error_message, retryable
  FROM jsonb_to_recordset($1::jsonb) AS r(event_id text, event_seq bigint, event_type text,
    entity_type text, entity_id text, observer text, action_index integer, action_type text,
    attempt integer, trigger text, actor text, started_at timestamptz, duration_ms double precision,
    outcome text, summary text, target text, http_status integer, response_headers jsonb,
    response_body text, error_code text, error_type text, error_class text, error_message text,
    retryable boolean)`;

/** Creates the invocation log over `db` (PostgreSQL or PGlite, migrated with `observerMigrations`). */
export function createInvocationLog(
  db: SqlClient,
  options: InvocationLogOptions = {},
): InvocationLog {
  const enabled = options.enabled ?? true;
  const batchSize = positive(options.batchSize ?? 500, 'batchSize');
  const maxBuffered = positive(options.maxBuffered ?? 10_000, 'maxBuffered');
  const bodyExcerpt = positive(options.bodyExcerpt ?? 1024, 'bodyExcerpt');
  const flushMs = parseDuration(options.flushInterval ?? '1s', 'invocations.flushInterval');
  const maxAgeMs = parseDuration(options.maxAge ?? '7d', 'invocations.maxAge');
  const maxRows = positive(options.maxRows ?? 1_000_000, 'maxRows');
  const pruneBatch = positive(options.pruneBatch ?? 5000, 'pruneBatch');
  const pruneMs = parseDuration(options.pruneInterval ?? '10m', 'invocations.pruneInterval');
  const metrics = options.metrics ?? noopObserverMetrics;
  const logger = options.logger ?? silentLogger;
  const tags = new Map<string, InvocationTag>();

  let buffer: PendingInvocation[] = [];
  let writing: Promise<void> | undefined;
  let flushQueued = false;
  let written = 0;
  let droppedFull = 0;
  let droppedFailed = 0;
  let pruned = 0;
  let failing = false;
  let closed = false;

  const write = async (batch: PendingInvocation[]): Promise<void> => {
    try {
      await db.query(INSERT, [batchJson(batch)]);
      written += batch.length;
      metrics.invocationsWritten?.(batch.length);
      if (failing) {
        failing = false;
        logger.info({ table: TABLE }, 'invocation log: writing again');
      }
    } catch (error) {
      droppedFailed += batch.length;
      metrics.invocationsDropped?.('write_failed', batch.length);
      if (!failing) {
        failing = true;
        logger.warn(
          { err: error, table: TABLE, dropped: batch.length },
          'invocation log: a batch could not be written and was dropped',
        );
      }
    }
  };

  /** Writes the buffer batch by batch; one writer at a time. */
  const drain = (): Promise<void> => {
    writing ??= (async () => {
      try {
        while (buffer.length > 0) {
          // Take the whole buffer at once (no copying per batch); new attempts start a new one.
          const taken = buffer;
          buffer = [];
          for (let start = 0; start < taken.length; start += batchSize) {
            metrics.invocationsBuffered?.(buffer.length + taken.length - start);
            await write(taken.slice(start, start + batchSize));
          }
          metrics.invocationsBuffered?.(buffer.length);
        }
      } finally {
        writing = undefined;
      }
    })();
    return writing;
  };

  const record = (attempt: ActionAttempt): void => {
    if (!enabled || closed) return;
    try {
      if (buffer.length >= maxBuffered) {
        droppedFull += 1;
        metrics.invocationsDropped?.('buffer_full', 1);
        return;
      }
      const tag =
        tags.size === 0 ? undefined : tags.get(`${attempt.event.id}\u0000${attempt.observer}`);
      buffer.push(pendingInvocation(attempt, bodyExcerpt, tag));
      if (buffer.length >= batchSize && writing === undefined && !flushQueued) {
        flushQueued = true;
        setImmediate(() => {
          flushQueued = false;
          void drain();
        });
      }
    } catch (error) {
      // Hostile row data or a broken error object must never reach the executor.
      droppedFailed += 1;
      logger.warn({ err: error }, 'invocation log: could not record an attempt');
    }
  };

  const flush = async (): Promise<void> => {
    await writing;
    await drain();
  };

  const deleteBatches = async (where: string, param: unknown): Promise<number> => {
    let total = 0;
    for (;;) {
      const { rows } = await db.query<{ n: string | number }>(
        `WITH gone AS (DELETE FROM ${TABLE} WHERE pk_observer_invocation IN (
           SELECT pk_observer_invocation FROM ${TABLE} WHERE ${where}
            ORDER BY pk_observer_invocation LIMIT ${String(pruneBatch)})
         RETURNING 1) SELECT count(*) AS n FROM gone`,
        [param],
      );
      const n = Number(rows[0]?.n ?? 0);
      total += n;
      if (n < pruneBatch) return total;
    }
  };

  const prune = async (): Promise<number> => {
    let n = await deleteBatches('started_at < $1::timestamptz', new Date(Date.now() - maxAgeMs));
    const { rows } = await db.query<{ pk: string | number | null }>(
      `SELECT pk_observer_invocation::text AS pk FROM ${TABLE}
        ORDER BY pk_observer_invocation DESC OFFSET ${String(maxRows)} LIMIT 1`,
    );
    const cut = rows[0]?.pk;
    if (cut !== undefined && cut !== null) {
      n += await deleteBatches('pk_observer_invocation <= $1::bigint', String(cut));
    }
    pruned += n;
    if (n > 0) logger.debug({ deleted: n, table: TABLE }, 'invocation log: retention ran');
    return n;
  };

  const flushTimer = enabled
    ? setInterval(
        () => {
          if (buffer.length > 0) void drain();
        },
        Math.max(10, flushMs),
      )
    : undefined;
  flushTimer?.unref();
  const pruneTimer =
    pruneMs > 0
      ? setInterval(() => {
          prune().catch((error: unknown) => {
            logger.warn({ err: error, table: TABLE }, 'invocation log: retention failed');
          });
        }, pruneMs)
      : undefined;
  pruneTimer?.unref();

  const close = async (): Promise<void> => {
    closed = true;
    clearInterval(flushTimer);
    clearInterval(pruneTimer);
    await flush();
  };

  return {
    enabled,
    record,
    async tagged(key, tag, run) {
      const name = `${key.eventId}\u0000${key.observer}`;
      tags.set(name, tag);
      try {
        return await run();
      } finally {
        if (tags.get(name) === tag) tags.delete(name);
      }
    },
    list: (filter = {}) => queryInvocations(db, filter),
    flush,
    prune,
    stats: () => ({
      enabled,
      buffered: buffer.length,
      written,
      droppedFull,
      droppedFailed,
      pruned,
    }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The batch as one JSON array for `jsonb_to_recordset`. */
function batchJson(batch: readonly PendingInvocation[]): string {
  const json = JSON.stringify(batch.map(rowOf));
  // PostgreSQL text cannot hold NUL: hostile row data must not lose the whole batch. Rare, so
  // the slower replacer runs only when a NUL is there.
  return json.includes('\\u0000') ? JSON.stringify(batch.map(rowOf), withoutNul) : json;
}

function withoutNul(_key: string, value: unknown): unknown {
  return typeof value === 'string' && value.includes('\u0000')
    ? value.replaceAll('\u0000', '\uFFFD')
    : value;
}

/** The row of one buffered attempt, redacted, as `jsonb_to_recordset` reads it. */
function rowOf(pending: PendingInvocation): Record<string, unknown> {
  const error = pending.error as
    (Error & { code?: unknown; errorType?: unknown; retryable?: unknown }) | undefined;
  return {
    event_id: pending.eventId,
    event_seq: pending.eventSeq,
    event_type: pending.eventType,
    entity_type: pending.entityType,
    entity_id: pending.entityId,
    observer: pending.observer,
    action_index: pending.actionIndex,
    action_type: pending.actionType,
    attempt: pending.attempt,
    trigger: pending.trigger,
    actor: pending.actor,
    started_at: new Date(pending.startedAt).toISOString(),
    duration_ms: pending.durationMs,
    outcome: pending.outcome,
    summary: pending.summary === undefined ? undefined : maskSecrets(pending.summary),
    target: targetOf(pending),
    http_status: pending.status,
    response_headers: pending.headers === undefined ? undefined : redactHeaders(pending.headers),
    response_body: pending.body === undefined ? undefined : redactBody(pending.body),
    error_code: typeof error?.code === 'string' ? error.code : undefined,
    error_type: typeof error?.errorType === 'string' ? error.errorType : undefined,
    error_class: error === undefined ? undefined : errorClassOf(error),
    error_message: error === undefined ? undefined : maskSecrets(error.message),
    retryable: typeof error?.retryable === 'boolean' ? error.retryable : undefined,
  };
}

// HTTP actions' summaries and errors start with the redacted `METHOD scheme://host/…` target.
const TARGET = /^([A-Z]+ [a-z][a-z0-9+.-]*:\/\/\S+)/;

function targetOf(pending: PendingInvocation): string | undefined {
  if (pending.status === undefined && pending.error === undefined) return undefined;
  const text = pending.summary ?? pending.error?.message ?? '';
  return TARGET.exec(text)?.[1];
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ObserverError(
      'INVALID_ARGUMENT',
      `invocations.${name}: expected a positive integer, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
