import {
  CHANGE_LOG_HORIZON,
  CHANGE_LOG_TABLE,
  readChangeLogPage,
  type ChangeLogRow,
  type SqlClient,
} from '@fraiseql/core';
import type { EventsRequest } from './events-request.js';
import type { EventPosition } from './event-position.js';

/** A change-log row as a page returns it, with its commit time in microseconds. */
export interface EventRow extends ChangeLogRow {
  readonly transaction_id: string;
  readonly created_us: string;
}

/** One read of the change log after a position. */
export interface EventPage {
  /** Matching rows below the horizon, in `(transaction_id, seq)` order. */
  readonly rows: readonly EventRow[];
  /** Where the next read starts: after the last row, or at the horizon when the page ran out. */
  readonly next: EventPosition;
  /** True when the page was cut at the limit (more rows are waiting). */
  readonly full: boolean;
  /**
   * True when committed rows exist at or above the horizon: a transaction that is still open
   * holds them back, and they become readable when it ends (which may send no notification).
   */
  readonly heldBack: boolean;
}

/** The filters of a request as SQL conditions on alias `l`, appended to `params`. */
function filters(request: EventsRequest, tenant: string | undefined, params: unknown[]): string[] {
  const where = [`upper(l.modification_type) <> 'NOOP'`];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${String(params.length)}`;
  };
  if (request.entityTypes !== undefined) {
    where.push(`l.object_type = ANY(${param(request.entityTypes)}::text[])`);
  }
  if (request.eventTypes !== undefined) {
    where.push(`upper(l.modification_type) = ANY(${param(request.eventTypes)}::text[])`);
  }
  if (tenant !== undefined) where.push(`l.tenant_id::text = ${param(tenant)}`);
  if (request.fromSeq !== undefined) {
    where.push(`l.pk_entity_change_log >= ${param(String(request.fromSeq))}::bigint`);
  }
  if (request.toSeq !== undefined) {
    where.push(`l.pk_entity_change_log <= ${param(String(request.toSeq))}::bigint`);
  }
  if (request.since !== undefined)
    where.push(`l.created_at >= ${param(request.since)}::timestamptz`);
  if (request.until !== undefined)
    where.push(`l.created_at < ${param(request.until)}::timestamptz`);
  return where;
}

/**
 * Reads up to `limit` matching rows after `position` below the change log's visibility horizon
 * (core's `readChangeLogPage`: one statement, so the horizon and the rows come from one
 * snapshot, and a late-committing transaction is read after it commits, never skipped).
 */
export async function readEventPage(
  db: SqlClient,
  position: EventPosition,
  request: EventsRequest,
  tenant: string | undefined,
  limit: number,
): Promise<EventPage> {
  return readChangeLogPage<EventRow>(db, {
    after: position,
    limit,
    conditions: (params) => filters(request, tenant, params),
    select: '(extract(epoch FROM l.created_at) * 1000000)::int8::text AS created_us',
    probeHeldBack: true,
  });
}

/**
 * Where a request without `after` starts: the start of the log; the horizon for a tail with no
 * lower bound ("from now"); for a lower bound (`fromSeq`, `since`), the oldest transaction of
 * a matching committed row, or the horizon when that is lower (a transaction still open may
 * yet commit a row of the range).
 */
export async function startPosition(db: SqlClient, request: EventsRequest): Promise<EventPosition> {
  if (request.fromSeq === undefined && request.since === undefined) {
    if (request.tail !== true) return { transactionId: 0n, seq: 0n };
    const now = await db.query<{ x: string }>(`SELECT (${CHANGE_LOG_HORIZON})::text AS x`);
    return { transactionId: BigInt(now.rows[0]?.x ?? '0'), seq: 0n };
  }
  const params: unknown[] = [];
  const bounds: string[] = [];
  if (request.fromSeq !== undefined) {
    params.push(String(request.fromSeq));
    bounds.push(`l.pk_entity_change_log >= $${String(params.length)}::bigint`);
  }
  if (request.since !== undefined) {
    params.push(request.since);
    bounds.push(`l.created_at >= $${String(params.length)}::timestamptz`);
  }
  const result = await db.query<{ x: string }>(
    `WITH h AS MATERIALIZED (SELECT ${CHANGE_LOG_HORIZON} AS x)
     SELECT LEAST(COALESCE(
       (SELECT min(l.transaction_id) FROM ${CHANGE_LOG_TABLE} l WHERE ${bounds.join(' AND ')}),
       h.x), h.x)::text AS x
     FROM h`,
    params,
  );
  return { transactionId: BigInt(result.rows[0]?.x ?? '0'), seq: 0n };
}
