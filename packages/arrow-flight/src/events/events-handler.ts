import { changeLogRowToEvent, silentLogger, type Logger, type SqlClient } from '@fraiseql/core';
import type { RecordBatch } from 'apache-arrow';
import { hasAnyRole, type Principal } from '../auth/principal.js';
import { RecordBatcher, type StreamColumn } from '../arrow/record-batcher.js';
import { FlightError } from '../errors.js';
import type {
  BatchLimits,
  FlightStream,
  StreamBatch,
  StreamHandler,
} from '../datasets/flight-stream.js';
import { ChangeLogWakeup } from './change-log-wakeup.js';
import { readEventPage, startPosition, type EventRow } from './event-page.js';
import {
  encodeEventMetadata,
  formatEventPosition,
  parseEventPosition,
  type EventPosition,
} from './event-position.js';
import { parseEventsRequest, type EventsRequest } from './events-request.js';

/** Options of {@link createEventsHandler}. */
export interface EventsHandlerOptions {
  /** The database holding `core.tb_entity_change_log`. */
  readonly db: SqlClient;
  /** Roles that may read events; every authenticated caller when absent. */
  readonly roles?: readonly string[] | undefined;
  /**
   * Rows read per change-log query (and at most per batch).
   * @defaultValue 1000
   */
  readonly pageRows?: number | undefined;
  /**
   * Safety poll of a tail when no notification arrives, in ms.
   * @defaultValue 2000
   */
  readonly pollIntervalMs?: number | undefined;
  /**
   * A tail with nothing to send sends an empty batch carrying its resume position this often
   * (ms), so a client's position moves past rows its filters skip and idle connections stay
   * alive. 0 turns it off.
   * @defaultValue 15000
   */
  readonly progressIntervalMs?: number | undefined;
  /** Reports rows it cannot convert (they are skipped). @defaultValue silent */
  readonly logger?: Logger | undefined;
}

/** The Arrow columns of the event stream (DESIGN §3). */
export const EVENT_COLUMNS: readonly StreamColumn[] = Object.freeze([
  { name: 'event_id', kind: { kind: 'utf8' } },
  { name: 'seq', kind: { kind: 'int64' } },
  { name: 'event_type', kind: { kind: 'utf8' } },
  { name: 'entity_type', kind: { kind: 'utf8' } },
  { name: 'entity_id', kind: { kind: 'utf8' } },
  { name: 'timestamp', kind: { kind: 'timestamp', timezone: 'UTC' } },
  { name: 'data', kind: { kind: 'utf8' } },
  { name: 'user_id', kind: { kind: 'utf8' } },
  { name: 'tenant_id', kind: { kind: 'utf8' } },
]);

/**
 * Serves the change log as Arrow record batches: a range (entity types, event kinds, tenant,
 * sequence and time bounds) and, with `tail`, a live tail that stays open and sends events as
 * they commit. Rows are read below the change log's visibility horizon, so a transaction that
 * commits late is still delivered; every batch's `app_metadata` carries the position to resume
 * from (`after`) with no gap and no duplicate.
 */
export function createEventsHandler(options: EventsHandlerOptions): StreamHandler<EventsRequest> & {
  close(): Promise<void>;
} {
  const { db } = options;
  const logger = options.logger ?? silentLogger;
  const pageRows = options.pageRows ?? 1000;
  const pollMs = options.pollIntervalMs ?? 2000;
  const progressMs = options.progressIntervalMs ?? 15_000;
  const wakeup = new ChangeLogWakeup(db, logger);

  const tenantOf = (request: EventsRequest, principal: Principal): string | undefined => {
    if (principal.tenant === undefined) return request.tenant;
    if (request.tenant !== undefined && request.tenant !== principal.tenant) {
      throw new FlightError('PERMISSION_DENIED', "events: tenant is not the caller's tenant");
    }
    return principal.tenant;
  };

  const toRow = (row: EventRow): unknown[] | undefined => {
    try {
      const event = changeLogRowToEvent(row);
      return [
        event.id,
        event.seq,
        event.eventType,
        event.entityType,
        event.entityId,
        Number(row.created_us),
        JSON.stringify(event.data),
        event.userId ?? null,
        event.tenantId ?? null,
      ];
    } catch (error) {
      logger.warn(
        { err: error, seq: String(row.pk_entity_change_log), id: row.id },
        'flight: change-log row skipped, it is not a valid event',
      );
      return undefined;
    }
  };

  const open = (
    request: EventsRequest,
    principal: Principal,
    limits: BatchLimits,
  ): FlightStream => {
    const tenant = tenantOf(request, principal);
    // Batches are cut by bytes here and by rows through the page size, so that every batch
    // ends on a row whose position is a valid resume point.
    const batcher = new RecordBatcher(EVENT_COLUMNS, {
      rows: Number.MAX_SAFE_INTEGER,
      bytes: limits.bytes,
    });
    const limit = Math.max(1, Math.min(pageRows, limits.rows));
    const tail = request.tail === true;
    return {
      schema: batcher.schema,
      async *batches(signal): AsyncGenerator<StreamBatch> {
        let position =
          request.after !== undefined
            ? parseEventPosition(request.after)
            : await startPosition(db, request);
        let sent = formatEventPosition(position);
        let sentAt = Date.now();
        let backoff = 0;
        let rows = 0;
        let lastSeq: string | undefined;
        const batchOf = (batch: RecordBatch, at: EventPosition): StreamBatch => {
          sent = formatEventPosition(at);
          sentAt = Date.now();
          const metadata = encodeEventMetadata({ resume: sent, events: rows, lastSeq });
          rows = 0;
          lastSeq = undefined;
          return { batch, appMetadata: metadata };
        };
        if (tail) await wakeup.ensure();
        for (;;) {
          signal.throwIfAborted();
          const generation = wakeup.generation;
          const page = await readEventPage(db, position, request, tenant, limit);
          signal.throwIfAborted();
          for (const row of page.rows) {
            const values = toRow(row);
            if (values === undefined) continue;
            rows++;
            lastSeq = String(row.pk_entity_change_log);
            const full = batcher.append(values);
            if (full !== undefined) {
              yield batchOf(full, {
                transactionId: BigInt(row.transaction_id),
                seq: BigInt(lastSeq),
              });
            }
          }
          position = page.next;
          const rest = batcher.flush();
          if (rest !== undefined) yield batchOf(rest, position);
          if (page.full) continue;
          const moved = formatEventPosition(position) !== sent;
          if (!tail) {
            // The read ends at the horizon; an empty batch carries the final position when
            // rows the filters skipped moved it.
            if (moved) yield batchOf(batcher.empty(), position);
            return;
          }
          if (moved && progressMs > 0 && Date.now() - sentAt >= progressMs) {
            yield batchOf(batcher.empty(), position);
          }
          // Rows held back behind an open transaction become readable when it ends, which may
          // send no notification: look again soon, backing off to half a second.
          backoff = page.heldBack ? Math.min(500, backoff === 0 ? 2 : backoff * 2) : 0;
          await wakeup.ensure();
          await wakeup.wait(backoff > 0 ? backoff : pollMs, signal, generation);
        }
      },
    };
  };

  return {
    kind: 'events',
    parse: parseEventsRequest,
    authorize(request, principal) {
      if (!hasAnyRole(principal, options.roles)) {
        throw new FlightError('PERMISSION_DENIED', 'events: not allowed');
      }
      tenantOf(request, principal);
    },
    schema() {
      return Promise.resolve(new RecordBatcher(EVENT_COLUMNS, { rows: 1, bytes: 1 }).schema);
    },
    open(request, context) {
      return Promise.resolve(open(request, context.principal, context.batch));
    },
    list(principal) {
      if (!hasAnyRole(principal, options.roles)) return Promise.resolve([]);
      return Promise.resolve([
        { path: ['events'], request: {} },
        { path: ['events', 'tail'], request: { tail: true } },
      ]);
    },
    fromPath(path) {
      if (path.length === 0) return {};
      if (path.length === 1 && path[0] === 'tail') return { tail: true };
      return undefined;
    },
    close() {
      return wakeup.close();
    },
  };
}
