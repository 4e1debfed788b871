import type { SqlClient } from '@fraiseql/core';
import { ObserverError } from '../errors.js';
import type {
  Invocation,
  InvocationFilter,
  InvocationOutcome,
  InvocationTrigger,
} from './invocation.js';

interface Row {
  id: string;
  event_id: string;
  event_seq: string | null;
  event_type: string;
  entity_type: string;
  entity_id: string;
  observer: string;
  action_index: number;
  action_type: string;
  attempt: number;
  trigger: string;
  actor: string | null;
  started_at: Date | string;
  duration_ms: number | string;
  outcome: string;
  summary: string | null;
  target: string | null;
  http_status: number | null;
  response_headers: Record<string, string> | string | null;
  response_body: string | null;
  error_code: string | null;
  error_type: string | null;
  error_class: string | null;
  error_message: string | null;
  retryable: boolean | null;
}

const COLUMNS = `pk_observer_invocation::text AS id, event_id, event_seq::text AS event_seq,
  event_type, entity_type, entity_id, observer, action_index, action_type, attempt, trigger, actor,
  started_at, duration_ms, outcome, summary, target, http_status, response_headers, response_body,
  error_code, error_type, error_class, error_message, retryable`;

const OUTCOMES = new Set(['success', 'failure', 'aborted']);

/**
 * Reads the invocation log: newest first, or oldest first after `afterId` (what `--follow`
 * pages with).
 *
 * @throws {ObserverError} `INVALID_ARGUMENT` for a status that is neither an outcome nor an HTTP
 *   status or class, a non-numeric `afterId` or a bad `limit`.
 */
export async function queryInvocations(
  db: SqlClient,
  filter: InvocationFilter,
): Promise<Invocation[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: (placeholder: string) => string, value: unknown): void => {
    params.push(value);
    where.push(clause(`$${String(params.length)}`));
  };
  if (filter.observer !== undefined) add((p) => `observer = ${p}`, filter.observer);
  if (filter.eventId !== undefined) add((p) => `event_id = ${p}`, filter.eventId);
  if (filter.since !== undefined) add((p) => `started_at >= ${p}::timestamptz`, filter.since);
  const status = filter.status?.trim().toLowerCase();
  if (status !== undefined && status !== '') {
    if (OUTCOMES.has(status)) add((p) => `outcome = ${p}`, status);
    else if (/^[1-5]\d\d$/.test(status)) add((p) => `http_status = ${p}::integer`, Number(status));
    else if (/^[1-5]xx$/.test(status)) {
      const low = Number(status[0]) * 100;
      add((p) => `http_status >= ${p}::integer`, low);
      add((p) => `http_status < ${p}::integer`, low + 100);
    } else {
      throw new ObserverError(
        'INVALID_ARGUMENT',
        `status: expected success, failure, aborted, an HTTP status (500) or class (5xx), got ${JSON.stringify(filter.status)}`,
      );
    }
  }
  if (filter.afterId !== undefined) {
    if (!/^\d{1,19}$/.test(filter.afterId)) {
      throw new ObserverError(
        'INVALID_ARGUMENT',
        `after: expected an invocation id (a whole number), got ${JSON.stringify(filter.afterId)}`,
      );
    }
    add((p) => `pk_observer_invocation > ${p}::bigint`, filter.afterId);
  }
  const limit = filter.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new ObserverError(
      'INVALID_ARGUMENT',
      `limit: expected a whole number from 1 to 1000, got ${JSON.stringify(limit)}`,
    );
  }
  const order = filter.afterId === undefined ? 'DESC' : 'ASC';
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM core.tb_observer_invocation
      ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
      ORDER BY pk_observer_invocation ${order} LIMIT ${String(limit)}`,
    params,
  );
  return rows.map(toInvocation);
}

function toInvocation(row: Row): Invocation {
  const headers =
    typeof row.response_headers === 'string'
      ? (JSON.parse(row.response_headers) as Record<string, string>)
      : (row.response_headers ?? undefined);
  return {
    id: row.id,
    eventId: row.event_id,
    eventSeq: row.event_seq ?? undefined,
    eventType: row.event_type,
    entityType: row.entity_type,
    entityId: row.entity_id,
    observer: row.observer,
    actionIndex: row.action_index,
    actionType: row.action_type,
    attempt: row.attempt,
    trigger: row.trigger as InvocationTrigger,
    actor: row.actor ?? undefined,
    startedAt: new Date(row.started_at).toISOString(),
    durationMs: Number(row.duration_ms),
    outcome: row.outcome as InvocationOutcome,
    summary: row.summary ?? undefined,
    target: row.target ?? undefined,
    httpStatus: row.http_status ?? undefined,
    responseHeaders: headers,
    responseBody: row.response_body ?? undefined,
    errorCode: row.error_code ?? undefined,
    errorType: row.error_type ?? undefined,
    errorClass: row.error_class ?? undefined,
    errorMessage: row.error_message ?? undefined,
    retryable: row.retryable ?? undefined,
  };
}
