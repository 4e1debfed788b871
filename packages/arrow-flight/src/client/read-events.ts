import type { RecordBatch } from 'apache-arrow';
import { isFlightError } from '../errors.js';
import { decodeEventMetadata } from '../events/event-position.js';
import type { EventsRequestInput } from '../events/events-request.js';
import { commandDescriptor } from './descriptors.js';
import type { FlightClient } from './flight-client.js';

/** One batch of the event stream with its resume position. */
export interface EventBatch {
  /** Columns `event_id`, `seq`, `event_type`, `entity_type`, `entity_id`, `timestamp`, `data`, `user_id`, `tenant_id`. */
  readonly batch: RecordBatch;
  /** Pass as `after` to continue after this batch (keep it to survive a restart). */
  readonly resume: string;
  /** Sequence of the batch's last event (undefined for a progress batch with no rows). */
  readonly lastSeq: bigint | undefined;
}

/** Options of {@link readEvents}. */
export interface ReadEventsOptions {
  readonly signal?: AbortSignal | undefined;
  /**
   * When the connection drops (`UNAVAILABLE`), ask again after the last position received, with
   * backoff up to 5 s, until `signal` aborts.
   * @defaultValue true
   */
  readonly reconnect?: boolean | undefined;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Reads the event stream (`{ tail: true }` for a live tail): asks for a ticket, reads its
 * batches and, when the connection drops, asks again after the last position it received, so
 * no event is missed or repeated.
 *
 * @example
 * for await (const { batch, resume } of readEvents(client, { tail: true, entityTypes: ['order'] })) {
 *   handle(batch);
 *   await save(resume); // restart later with { after: resume }
 * }
 */
export async function* readEvents(
  client: FlightClient,
  request: EventsRequestInput,
  options: ReadEventsOptions = {},
): AsyncGenerator<EventBatch> {
  let after = request.after;
  let failures = 0;
  for (;;) {
    try {
      const info = await client.getFlightInfo(
        commandDescriptor({
          ...request,
          kind: 'events',
          ...(after === undefined ? {} : { after }),
        }),
        { signal: options.signal },
      );
      const ticket = info.endpoints[0]?.ticket ?? new Uint8Array(0);
      for await (const { batch, appMetadata } of client.doGetWithMetadata(ticket, {
        signal: options.signal,
      })) {
        // apache-arrow's reader yields one empty batch for a stream with no batches at all.
        if (appMetadata.byteLength === 0 && batch.numRows === 0) continue;
        const metadata = decodeEventMetadata(appMetadata);
        after = metadata.resume;
        failures = 0;
        yield {
          batch,
          resume: metadata.resume,
          lastSeq: metadata.lastSeq === undefined ? undefined : BigInt(metadata.lastSeq),
        };
      }
      return;
    } catch (error) {
      if (options.signal?.aborted === true) throw error;
      if (options.reconnect === false || !isFlightError(error, 'UNAVAILABLE')) throw error;
      failures++;
      await sleep(Math.min(5000, 100 * 2 ** failures), options.signal);
      options.signal?.throwIfAborted();
    }
  }
}
