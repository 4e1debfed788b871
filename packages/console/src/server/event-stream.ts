import {
  changeLogRowToEvent,
  eventToJson,
  stringifyJson,
  type Logger,
  type SqlClient,
} from '@fraiseql/core';
import type { ServerResponse } from 'node:http';
import type { EventFilter } from './event-filter.js';
import {
  formatPosition,
  readRecent,
  readTail,
  type TailPage,
  type TailPosition,
  type TailRow,
} from './event-tail.js';

/** How a live stream reads and paces. */
export interface EventStreamOptions {
  readonly db: SqlClient;
  readonly filter: EventFilter;
  /** Resume after this position (`Last-Event-ID`); else start with the recent events. */
  readonly after: TailPosition | undefined;
  readonly recent: number;
  readonly pollMs: number;
  readonly heartbeatMs: number;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

const PAGE = 200;

/**
 * Writes change-log events to `response` as Server-Sent Events until `signal` aborts: first the
 * recent matching events (unless resuming), then every new one below the visibility horizon.
 * Each `change` event carries the event's JSON and an `id` to resume from; a failing read sends
 * a `problem` event and is tried again.
 */
export async function streamEvents(
  response: ServerResponse,
  options: EventStreamOptions,
): Promise<void> {
  const { db, filter, signal } = options;
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
    connection: 'keep-alive',
  });
  response.flushHeaders();
  let lastWrite = Date.now();
  const write = (text: string): void => {
    response.write(text);
    lastWrite = Date.now();
  };
  write(`retry: 2000\n\n`);
  let position = options.after;
  let failures = 0;
  // A function, not the property: the loop body awaits, and the signal may abort meanwhile.
  const stopped = (): boolean => signal.aborted;
  while (!stopped()) {
    let page: TailPage;
    try {
      page =
        position === undefined
          ? await readRecent(db, filter, options.recent)
          : await readTail(db, position, filter, PAGE);
      if (failures > 0) write(`event: problem\ndata: ${JSON.stringify({ message: null })}\n\n`);
      failures = 0;
    } catch (error) {
      if (stopped()) break;
      failures += 1;
      const message = error instanceof Error ? error.message : String(error);
      options.logger.warn({ error: message }, 'console event stream: change-log read failed');
      write(
        `event: problem\ndata: ${JSON.stringify({ message: `change-log read failed: ${message}` })}\n\n`,
      );
      await pause(Math.min(options.pollMs * 2 ** failures, 30_000), signal);
      continue;
    }
    for (const row of page.rows) write(frame(row));
    position = page.next;
    if (page.rows.length === 0 && Date.now() - lastWrite >= options.heartbeatMs) {
      write(`: ${formatPosition(position)}\n\n`);
    }
    if (!page.full) await pause(options.pollMs, signal);
  }
  response.end();
}

function frame(row: TailRow): string {
  const id = formatPosition({
    transactionId: BigInt(row.transaction_id),
    seq: BigInt(String(row.pk_entity_change_log)),
  });
  let data: string;
  try {
    data = stringifyJson(eventToJson(changeLogRowToEvent(row)));
  } catch (error) {
    // A malformed row is shown as such, never allowed to stop the stream.
    data = JSON.stringify({
      seq: String(row.pk_entity_change_log),
      malformed: error instanceof Error ? error.message : String(error),
    });
  }
  return `id: ${id}\nevent: change\ndata: ${data}\n\n`;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
