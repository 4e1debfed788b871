import {
  silentLogger,
  type Delivery,
  type EntityEvent,
  type EventSource,
  type Logger,
} from '@fraiseql/core';
import { hasAnyRole, type Principal } from '../auth/principal.js';
import { RecordBatcher } from '../arrow/record-batcher.js';
import { FlightError } from '../errors.js';
import { EVENT_COLUMNS } from '../events/events-handler.js';
import { IpcEncoder } from '../ipc/ipc-encoder.js';
import { FlightDataFrame } from '../protocol/flight-data-frame.js';
import type { FlightExtension } from '../server/flight-extension.js';
import {
  EVENT_EXCHANGE_KIND,
  exchangeConsumerName,
  parseEventExchangeRequest,
  type EventExchangeRequest,
} from './event-exchange-request.js';
import { decodeAck, encodeAcked, encodeBatchMetadata } from './exchange-messages.js';
import type { ExchangeContext, ExchangeIo, ExchangeSession } from './exchange-target.js';

/** Options of {@link createEventExchange}. */
export interface EventExchangeOptions {
  /**
   * Opens the durable change-log consumer an exchange reads from, under the stored name
   * {@link exchangeConsumerName} gives. Use `@fraiseql/observers`' change-log source, so that
   * exchanges keep their progress, claims and leases exactly as observers do:
   * `(consumer, { startFrom }) => createChangeLogSource(db, { consumer, startFrom })`.
   * Each exchange opens its own source (its own worker id) and closes it when it ends.
   */
  readonly source: (
    consumer: string,
    options: { readonly startFrom: 'beginning' | 'now' },
  ) => EventSource;
  /** Roles that may open an exchange; every authenticated caller when absent. */
  readonly roles?: readonly string[] | undefined;
  /**
   * Events sent and not yet acknowledged when the client asks for no window.
   * @defaultValue 2000
   */
  readonly window?: number | undefined;
  /**
   * Largest window a client may ask for.
   * @defaultValue 20000
   */
  readonly maxWindow?: number | undefined;
  /**
   * Most events per record batch (a client may ask for fewer).
   * @defaultValue 1000
   */
  readonly batchRows?: number | undefined;
  /** @defaultValue silent */
  readonly logger?: Logger | undefined;
}

const decoder = new TextDecoder();

function eventRow(event: EntityEvent): unknown[] {
  return [
    event.id,
    event.seq,
    event.eventType,
    event.entityType,
    event.entityId,
    event.timestamp.getTime() * 1000,
    JSON.stringify(event.data),
    event.userId ?? null,
    event.tenantId ?? null,
  ];
}

/** Rejects when `signal` aborts (with its reason); never settles otherwise. */
function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    else
      signal.addEventListener(
        'abort',
        () => {
          reject(signal.reason as Error);
        },
        { once: true },
      );
  });
}

/**
 * A durable event consumer over Flight DoExchange. A client opens an exchange with a CMD
 * descriptor `{"kind": "event-exchange", "consumer": "<name>", …filters}`; the server sends the
 * change log's events as Arrow record batches (the events ticket's schema and filters) and the
 * client sends back `{"ack": "<seq>"}` in `app_metadata`, meaning every event this exchange sent
 * up to and including that one is done. Progress is a change-log consumer's (see
 * {@link EventExchangeOptions.source}): stored in PostgreSQL per consumer name, leased, so two
 * exchanges on one name never receive the same event, and an exchange that ends without
 * acknowledging hands its unacknowledged events back at once for redelivery. At most `window`
 * events are sent and unacknowledged: a slow client holds the server back.
 */
export function createEventExchange(options: EventExchangeOptions): FlightExtension {
  const logger = options.logger ?? silentLogger;
  const maxWindow = options.maxWindow ?? 20_000;
  const defaultWindow = Math.min(options.window ?? 2000, maxWindow);
  const maxBatchRows = options.batchRows ?? 1000;

  const tenantOf = (request: EventExchangeRequest, principal: Principal): string | undefined => {
    if (principal.tenant === undefined) return request.tenant;
    if (request.tenant !== undefined && request.tenant !== principal.tenant) {
      throw new FlightError(
        'PERMISSION_DENIED',
        "event exchange: tenant is not the caller's tenant",
      );
    }
    return principal.tenant;
  };

  const accept = (cmd: Uint8Array, principal: Principal): ExchangeSession | undefined => {
    let command: unknown;
    try {
      command = JSON.parse(decoder.decode(cmd));
    } catch {
      return undefined;
    }
    if ((command as { kind?: unknown } | null)?.kind !== EVENT_EXCHANGE_KIND) return undefined;
    const request = parseEventExchangeRequest(command);
    if (!hasAnyRole(principal, options.roles)) {
      throw new FlightError('PERMISSION_DENIED', 'event exchange: not allowed');
    }
    const tenant = tenantOf(request, principal);
    return (io, context) => runSession(request, tenant, io, context);
  };

  async function runSession(
    request: EventExchangeRequest,
    tenant: string | undefined,
    io: ExchangeIo,
    context: ExchangeContext,
  ): Promise<void> {
    const consumer = exchangeConsumerName(request.consumer, context.principal.tenant);
    const window = Math.min(request.window ?? defaultWindow, maxWindow);
    const batchRows = Math.max(1, Math.min(request.batchRows ?? maxBatchRows, maxBatchRows));
    const entityTypes =
      request.entityTypes === undefined ? undefined : new Set(request.entityTypes);
    const eventTypes = request.eventTypes === undefined ? undefined : new Set(request.eventTypes);
    const matches = (event: EntityEvent): boolean =>
      (entityTypes === undefined || entityTypes.has(event.entityType)) &&
      (eventTypes === undefined || eventTypes.has(event.eventType)) &&
      (tenant === undefined || event.tenantId === tenant);
    const log = { consumer, subject: context.principal.subject };

    // Deliveries received and not sent yet; sent and not acknowledged yet, in the order sent.
    const pending: Delivery[] = [];
    const unacked: Delivery[] = [];
    const ordinals = new Map<string, number>();
    let acknowledged = 0;
    let sentCount = 0;
    let ended = false;
    // Read through a function: the flag changes across awaits.
    const stopped = (): boolean => ended;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const resolve = wake;
      wake = undefined;
      resolve?.();
    };
    const failure = new AbortController();
    const fail = (error: unknown): void => {
      if (!failure.signal.aborted) failure.abort(error);
      notify();
    };
    const stopFetching = new AbortController();
    let confirmations: Promise<void> = Promise.resolve();

    const source = options.source(consumer, { startFrom: request.startFrom ?? 'beginning' });
    try {
      await source.start({
        maxInFlight: window,
        signal: stopFetching.signal,
        onDelivery: (delivery) => {
          if (matches(delivery.event)) {
            pending.push(delivery);
            notify();
            return;
          }
          // Not this exchange's: done for this consumer without being sent.
          delivery.settle({ status: 'done' }).catch((error: unknown) => {
            logger.warn({ ...log, err: error }, 'flight: event exchange could not skip an event');
          });
        },
      });

      const writer = async (): Promise<void> => {
        const batcher = new RecordBatcher(EVENT_COLUMNS, {
          rows: Number.MAX_SAFE_INTEGER,
          bytes: Number.MAX_SAFE_INTEGER,
        });
        const ipc = new IpcEncoder();
        await io.write(
          new FlightDataFrame({ dataHeader: ipc.schemaMessage(batcher.schema).header }),
        );
        for (;;) {
          while (pending.length === 0 && !stopped()) {
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          }
          if (stopped()) return;
          // A claim round hands out its rows in one burst: let it finish before cutting.
          await new Promise<void>((resolve) => setImmediate(resolve));
          while (pending.length > 0 && !stopped()) {
            const taken = pending.splice(0, batchRows);
            let redelivered = 0;
            for (const delivery of taken) {
              batcher.append(eventRow(delivery.event));
              if (delivery.attempt > 1) redelivered++;
              unacked.push(delivery);
              ordinals.set(String(delivery.event.seq), sentCount++);
            }
            const batch = batcher.flush();
            if (batch === undefined) continue;
            const messages = ipc.batchMessages(batch);
            let bytes = 0;
            for (let i = 0; i < messages.length; i++) {
              const message = messages[i];
              if (message === undefined) continue;
              const last = i === messages.length - 1;
              const frame = new FlightDataFrame(
                {
                  dataHeader: message.header,
                  bodyParts: message.bodyParts,
                  appMetadata: last
                    ? encodeBatchMetadata({
                        events: taken.length,
                        firstSeq: String(taken[0]?.event.seq),
                        lastSeq: String(taken.at(-1)?.event.seq),
                        redelivered,
                      })
                    : undefined,
                },
                { alignBody: true },
              );
              bytes += frame.byteLength;
              await io.write(frame);
            }
            io.batchSent(taken.length, bytes);
          }
        }
      };

      const acknowledge = (seq: string): void => {
        const ordinal = ordinals.get(seq);
        if (ordinal === undefined) {
          throw new FlightError(
            'INVALID_ARGUMENT',
            `event exchange acknowledgement: sequence ${seq} was not sent on this exchange or is already acknowledged`,
          );
        }
        const done = unacked.splice(0, ordinal - acknowledged + 1);
        acknowledged = ordinal + 1;
        for (const delivery of done) ordinals.delete(String(delivery.event.seq));
        const stored = Promise.all(done.map((delivery) => delivery.settle({ status: 'done' })));
        stored.catch(() => undefined);
        confirmations = confirmations
          .then(() => stored)
          .then(() => io.write(new FlightDataFrame({ appMetadata: encodeAcked(seq) })));
        confirmations.catch(fail);
      };

      const reader = async (): Promise<void> => {
        for await (const message of io.messages) {
          if (message.dataHeader.byteLength > 0 || message.dataBody.byteLength > 0) {
            throw new FlightError(
              'INVALID_ARGUMENT',
              'event exchange: a client sends only acknowledgements ({"ack": "<seq>"} in app_metadata), never record batches',
            );
          }
          acknowledge(decodeAck(message.appMetadata));
        }
      };

      const writing = writer();
      writing.catch(fail);
      await Promise.race([reader(), whenAborted(context.signal), whenAborted(failure.signal)]);
      // The client half-closed: send nothing more, answer the acknowledgements it sent.
      ended = true;
      notify();
      await Promise.race([writing, whenAborted(failure.signal), whenAborted(context.signal)]);
      await Promise.race([confirmations, whenAborted(failure.signal), whenAborted(context.signal)]);
    } finally {
      ended = true;
      notify();
      stopFetching.abort();
      // Stores the acknowledgements already settling and hands every unacknowledged event
      // back for redelivery.
      await source.close().catch((error: unknown) => {
        logger.error({ ...log, err: error }, 'flight: event exchange could not close its source');
      });
    }
  }

  return {
    exchangeTargets: [{ kind: 'events-exchange', accept }],
  };
}
