import {
  eventFromJson,
  eventToJson,
  parseDuration,
  silentLogger,
  stringifyJson,
  type DurationInput,
  type EntityEventJson,
  type Logger,
  type SqlClient,
} from '@fraiseql/core';
import { ObserverError } from '../errors.js';
import { noopObserverMetrics, type ObserverMetrics } from '../metrics/observer-metrics.js';
import type {
  DeadLetter,
  DeadLetterAttempt,
  DeadLetterFilter,
  DeadLetterListOptions,
  DeadLetterReplayer,
  DeadLetterRetryAllResult,
  DeadLetterRetryResult,
  DeadLetterStats,
  NewDeadLetter,
} from './dead-letter.js';

/** Options of {@link createDeadLetterQueue}. */
export interface DeadLetterQueueOptions {
  /** Receives `dlqItems(count)` after every change. */
  readonly metrics?: ObserverMetrics | undefined;
  readonly logger?: Logger | undefined;
  /** How long a retry may hold an item before another retry may take it. @defaultValue `'5m'` */
  readonly retryLockTtl?: DurationInput | undefined;
}

/**
 * The dead-letter queue of observer actions, in `core.tb_observer_dead_letter` (created by the
 * observers migrations). Retrying re-runs the action through the replayer the observer executor
 * attaches; a success removes the item, a failure appends to its attempt history.
 */
export interface DeadLetterQueue {
  /** Stores a failed action; the same (event, observer, action) again updates the existing item. */
  add(entry: NewDeadLetter): Promise<DeadLetter>;
  /** Items oldest first. */
  list(options?: DeadLetterListOptions): Promise<DeadLetter[]>;
  /** @throws {ObserverError} `DLQ_NOT_FOUND` when no item has this id. */
  show(id: string): Promise<DeadLetter>;
  /**
   * Runs the item's action again; removes the item when it succeeds.
   *
   * @throws {ObserverError} `DLQ_NOT_FOUND`, or `INVALID_ARGUMENT` when no replayer is attached.
   */
  retry(
    id: string,
    options?: { signal?: AbortSignal; replay?: DeadLetterReplayer },
  ): Promise<DeadLetterRetryResult>;
  /** Retries every item matching `filter`, one at a time, oldest first. */
  retryAll(
    filter?: DeadLetterFilter & { signal?: AbortSignal; replay?: DeadLetterReplayer },
  ): Promise<DeadLetterRetryAllResult>;
  /** Deletes an item; false when it did not exist. */
  remove(id: string): Promise<boolean>;
  /** Deletes every item matching `filter`; returns how many. */
  removeAll(filter?: DeadLetterFilter): Promise<number>;
  stats(filter?: DeadLetterFilter): Promise<DeadLetterStats>;
  /** Items in the queue (also reported to `metrics.dlqItems`). */
  count(): Promise<number>;
  /** Sets the replayer `retry` uses by default (the observer executor calls this). */
  attachReplayer(replay: DeadLetterReplayer): void;
}

const TABLE = 'core.tb_observer_dead_letter';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COLUMNS = `id::text AS id, event, observer, action_index, action_type, error_code, error_type,
  error_message, attempts, retry_count, created_at, updated_at`;

interface Row {
  id: string;
  event: EntityEventJson | string;
  observer: string;
  action_index: number;
  action_type: string;
  error_code: string;
  error_type: string;
  error_message: string;
  attempts: DeadLetterAttempt[] | string;
  retry_count: number | string;
  created_at: Date | string;
  updated_at: Date | string;
}

/** Creates the dead-letter queue API over `db` (PostgreSQL or PGlite). */
export function createDeadLetterQueue(
  db: SqlClient,
  options: DeadLetterQueueOptions = {},
): DeadLetterQueue {
  const metrics = options.metrics ?? noopObserverMetrics;
  const logger = options.logger ?? silentLogger;
  const lockSeconds = parseDuration(options.retryLockTtl ?? '5m', 'dlq.retryLockTtl') / 1000;
  let attached: DeadLetterReplayer | undefined;

  const count = async (): Promise<number> => {
    const { rows } = await db.query<{ n: string | number | bigint }>(
      `SELECT count(*) AS n FROM ${TABLE}`,
    );
    const n = Number(String(rows[0]?.n ?? 0));
    metrics.dlqItems(n);
    return n;
  };

  const refreshCount = async (): Promise<void> => {
    try {
      await count();
    } catch (error) {
      logger.warn({ err: error }, 'dead-letter queue: could not count items for metrics');
    }
  };

  const show = async (id: string): Promise<DeadLetter> => {
    checkId(id);
    const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM ${TABLE} WHERE id = $1::uuid`, [
      id,
    ]);
    const row = rows[0];
    if (row === undefined) throw notFound(id);
    return toDeadLetter(row);
  };

  const retry = async (
    id: string,
    retryOptions: { signal?: AbortSignal; replay?: DeadLetterReplayer } = {},
  ): Promise<DeadLetterRetryResult> => {
    checkId(id);
    const replay = retryOptions.replay ?? attached;
    if (replay === undefined) {
      throw new ObserverError(
        'INVALID_ARGUMENT',
        'dead-letter retry needs an observer executor: create it with `dlq` or pass `replay`',
      );
    }
    retryOptions.signal?.throwIfAborted();
    const { rows } = await db.query<Row>(
      `UPDATE ${TABLE} SET locked_until = now() + make_interval(secs => $2::double precision)
        WHERE id = $1::uuid AND (locked_until IS NULL OR locked_until < now())
        RETURNING ${COLUMNS}`,
      [id, lockSeconds],
    );
    const row = rows[0];
    if (row === undefined) {
      await show(id); // throws DLQ_NOT_FOUND when it is gone
      return { id, status: 'busy' };
    }
    const item = toDeadLetter(row);
    let outcome: Awaited<ReturnType<DeadLetterReplayer>>;
    try {
      outcome = await replay(item, { signal: retryOptions.signal });
    } catch (error) {
      await db.query(`UPDATE ${TABLE} SET locked_until = NULL WHERE id = $1::uuid`, [id]);
      throw error;
    }
    if (outcome.ok) {
      const removed = await db.query(`DELETE FROM ${TABLE} WHERE id = $1::uuid`, [id]);
      metrics.deadLetterRemoved?.('retried', removed.rowCount);
      await refreshCount();
      logger.info(
        { dlqId: id, observer: item.observer, actionIndex: item.actionIndex },
        'dead-lettered action succeeded on retry',
      );
      return { id, status: 'succeeded', summary: outcome.result.summary };
    }
    await db.query(
      `UPDATE ${TABLE} SET attempts = attempts || $2::jsonb, error_code = $3, error_type = $4,
          error_message = $5, retry_count = retry_count + 1, locked_until = NULL, updated_at = now()
        WHERE id = $1::uuid`,
      [
        id,
        JSON.stringify(outcome.attempts),
        outcome.error.code,
        outcome.error.errorType,
        outcome.error.message,
      ],
    );
    return { id, status: 'failed', error: outcome.error.message };
  };

  return {
    async add(entry) {
      const json = eventToJson(entry.event);
      const { rows } = await db.query<Row>(
        `INSERT INTO ${TABLE} (event_id, event_seq, event_type, entity_type, entity_id, event,
            observer, action_index, action_type, error_code, error_type, error_message, attempts)
          VALUES ($1, $2::bigint, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13::jsonb)
          ON CONFLICT (event_id, observer, action_index) DO UPDATE SET
            event = EXCLUDED.event, action_type = EXCLUDED.action_type,
            error_code = EXCLUDED.error_code, error_type = EXCLUDED.error_type,
            error_message = EXCLUDED.error_message,
            attempts = ${TABLE}.attempts || EXCLUDED.attempts, updated_at = now()
          RETURNING ${COLUMNS}`,
        [
          entry.event.id,
          entry.event.seq.toString(),
          entry.event.eventType,
          entry.event.entityType,
          entry.event.entityId,
          stringifyJson(json),
          entry.observer,
          entry.actionIndex,
          entry.actionType,
          entry.errorCode,
          entry.errorType,
          entry.errorMessage,
          JSON.stringify(entry.attempts),
        ],
      );
      metrics.deadLettered?.(entry.actionType);
      await refreshCount();
      const row = rows[0];
      if (row === undefined)
        throw new ObserverError('ACTION_FAILED', 'dead-letter insert returned no row');
      return toDeadLetter(row);
    },

    async list(listOptions = {}) {
      const limit = clampInt(listOptions.limit ?? 100, 1, 1000, 'limit');
      const offset = clampInt(listOptions.offset ?? 0, 0, Number.MAX_SAFE_INTEGER, 'offset');
      const { where, params } = whereClause(listOptions);
      const { rows } = await db.query<Row>(
        `SELECT ${COLUMNS} FROM ${TABLE} ${where}
          ORDER BY created_at, pk_observer_dead_letter
          LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, limit, offset],
      );
      return rows.map(toDeadLetter);
    },

    show,
    retry,

    async retryAll(filter = {}) {
      const { where, params } = whereClause(filter);
      const results: DeadLetterRetryResult[] = [];
      // Walk by primary key so items that fail again (and stay) are not visited twice.
      let after = 0n;
      for (;;) {
        filter.signal?.throwIfAborted();
        const page = await db.query<{ id: string; pk: unknown }>(
          `SELECT id::text AS id, pk_observer_dead_letter AS pk FROM ${TABLE} ${where}
            ${where === '' ? 'WHERE' : 'AND'} pk_observer_dead_letter > $${params.length + 1}::bigint
            ORDER BY pk_observer_dead_letter LIMIT 100`,
          [...params, after.toString()],
        );
        if (page.rows.length === 0) break;
        for (const { id, pk } of page.rows) {
          after = BigInt(String(pk));
          try {
            results.push(
              await retry(id, {
                ...(filter.signal === undefined ? {} : { signal: filter.signal }),
                ...(filter.replay === undefined ? {} : { replay: filter.replay }),
              }),
            );
          } catch (error) {
            if (!(error instanceof ObserverError && error.code === 'DLQ_NOT_FOUND')) throw error;
          }
        }
      }
      const countOf = (status: DeadLetterRetryResult['status']): number =>
        results.filter((result) => result.status === status).length;
      return {
        succeeded: countOf('succeeded'),
        failed: countOf('failed'),
        busy: countOf('busy'),
        results,
      };
    },

    async remove(id) {
      checkId(id);
      const { rowCount } = await db.query(`DELETE FROM ${TABLE} WHERE id = $1::uuid`, [id]);
      metrics.deadLetterRemoved?.('removed', rowCount);
      await refreshCount();
      return rowCount > 0;
    },

    async removeAll(filter = {}) {
      const { where, params } = whereClause(filter);
      const { rowCount } = await db.query(`DELETE FROM ${TABLE} ${where}`, params);
      metrics.deadLetterRemoved?.('removed', rowCount);
      await refreshCount();
      return rowCount;
    },

    async stats(filter = {}) {
      const { where, params } = whereClause(filter);
      const grouped = async (column: string): Promise<Record<string, number>> => {
        const { rows } = await db.query<{ k: string; n: string | number | bigint }>(
          `SELECT ${column} AS k, count(*) AS n FROM ${TABLE} ${where} GROUP BY ${column} ORDER BY ${column}`,
          params,
        );
        return Object.fromEntries(rows.map((row) => [row.k, Number(String(row.n))]));
      };
      const { rows } = await db.query<{
        n: string | number | bigint;
        oldest: Date | string | null;
        newest: Date | string | null;
      }>(
        `SELECT count(*) AS n, min(created_at) AS oldest, max(created_at) AS newest FROM ${TABLE} ${where}`,
        params,
      );
      const totals = rows[0];
      return {
        total: Number(String(totals?.n ?? 0)),
        byObserver: await grouped('observer'),
        byEntityType: await grouped('entity_type'),
        byErrorType: await grouped('error_type'),
        oldest: toDateOrUndefined(totals?.oldest),
        newest: toDateOrUndefined(totals?.newest),
      };
    },

    count,

    attachReplayer(replay) {
      attached = replay;
    },
  };
}

function whereClause(filter: DeadLetterFilter): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown): void => {
    params.push(value);
    clauses.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.observer !== undefined) add('observer = ?', filter.observer);
  if (filter.entityType !== undefined) add('entity_type = ?', filter.entityType);
  if (filter.since !== undefined) add('created_at >= ?::timestamptz', filter.since.toISOString());
  if (filter.until !== undefined) add('created_at < ?::timestamptz', filter.until.toISOString());
  return { where: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, params };
}

function toDeadLetter(row: Row): DeadLetter {
  const event =
    typeof row.event === 'string' ? (JSON.parse(row.event) as EntityEventJson) : row.event;
  const attempts =
    typeof row.attempts === 'string'
      ? (JSON.parse(row.attempts) as DeadLetterAttempt[])
      : row.attempts;
  return {
    id: row.id,
    event: eventFromJson(event),
    observer: row.observer,
    actionIndex: row.action_index,
    actionType: row.action_type,
    errorCode: row.error_code,
    errorType: row.error_type,
    errorMessage: row.error_message,
    attempts,
    retryCount: Number(row.retry_count),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toDateOrUndefined(value: Date | string | null | undefined): Date | undefined {
  return value === null || value === undefined ? undefined : new Date(value);
}

function checkId(id: string): void {
  if (!UUID.test(id)) {
    throw new ObserverError(
      'INVALID_ARGUMENT',
      `dead-letter id: expected a UUID, got ${JSON.stringify(id)}`,
    );
  }
}

function notFound(id: string): ObserverError {
  return new ObserverError(
    'DLQ_NOT_FOUND',
    `dead-letter item ${id} does not exist (already retried or removed?)`,
    {
      details: { id },
    },
  );
}

function clampInt(value: number, min: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ObserverError(
      'INVALID_ARGUMENT',
      `dead-letter ${name}: expected an integer in ${min}..${max}, got ${value}`,
    );
  }
  return value;
}
