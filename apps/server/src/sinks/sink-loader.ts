import {
  createEventSinkConsumer,
  ServiceHealthTracker,
  type EventSink,
  type EventSinkConsumer,
  type ServiceHealth,
  type ServiceHealthReporter,
  type ServiceKind,
  type SqlClient,
} from '@fraiseql/core';
import { createChangeLogSource } from '@fraiseql/observers';
import type { Logger } from 'pino';

/** What {@link startSinkLoader} needs to run one sink behind its own change-log consumer. */
export interface SinkLoaderOptions<S extends EventSink> {
  /** Service name in `/health` and `fraiseql_service_*` (`clickhouse`, `elasticsearch`). */
  readonly name: string;
  readonly kind: ServiceKind;
  /** Where it connects, without credentials. */
  readonly target: string;
  /** One round trip to the service; rejects when it cannot be reached. */
  probe(signal: AbortSignal, sink: S | undefined): Promise<void>;
  /** Creates the sink (schema, templates…) once the service answered. */
  open(signal: AbortSignal): Promise<S>;
  /** The database whose change log feeds the sink. */
  readonly db: SqlClient;
  /** The sink's own change-log consumer (or reader) name: its durable progress. */
  readonly consumer: string;
  /**
   * Feeds the opened sink from the change log itself (ClickHouse: a change-log reader, no
   * per-event claims). Without it the sink runs behind an observers change-log source.
   */
  readonly pipe?: ((sink: S) => SinkFeed) | undefined;
  /** The client the sink talks through, closed after the sink. */
  readonly connection: { close(): Promise<void> };
  /** Pause between health probes while running. */
  readonly checkIntervalMs: number;
  /** Backoff between failed attempts: first delay and ceiling (full jitter). */
  readonly retry: { readonly initialMs: number; readonly maxMs: number };
  readonly logger: Logger;
}

/** A running feed of the change log into a sink. */
export interface SinkFeed {
  /** Events stored and acknowledged since start. */
  acknowledged(): number;
  close(): Promise<void>;
}

/** A sink fed by the change log in the background. */
export interface SinkLoader<S extends EventSink> extends ServiceHealthReporter {
  /** The sink, once the service answered and it was created. */
  readonly sink: S | undefined;
  /** Events the sink stored and the consumer acknowledged since start. */
  acknowledged(): number;
  /** Stops the consumer (storing what it holds), then closes the sink. */
  close(): Promise<void>;
}

/**
 * Runs a sink as a standalone loader: waits for its service with backoff (the server goes on
 * without it), creates the sink, then feeds it from its own change-log consumer, which is
 * acknowledged only after the sink stored each batch. A probe every `checkIntervalMs` keeps
 * the health current while no events flow; the service's state is `down` until it first
 * answers, `reconnecting` when it is lost later, `up` again when it answers.
 */
export function startSinkLoader<S extends EventSink>(options: SinkLoaderOptions<S>): SinkLoader<S> {
  const { logger } = options;
  const tracker = new ServiceHealthTracker({
    name: options.name,
    kind: options.kind,
    target: options.target,
  });
  const stop = new AbortController();
  let sink: S | undefined;
  let consumer: SinkFeed | undefined;
  let everUp = false;

  const stopped = (): boolean => stop.signal.aborted;
  const run = async (): Promise<void> => {
    let failures = 0;
    while (!stopped()) {
      try {
        await options.probe(stop.signal, sink);
        if (sink === undefined) {
          const opened = await options.open(stop.signal);
          let next: SinkFeed;
          try {
            next = options.pipe?.(opened) ?? (await consumeBySource(options, opened, logger));
          } catch (error) {
            await opened.close().catch(() => undefined);
            throw error;
          }
          sink = opened;
          consumer = next;
          logger.info({ target: options.target }, `${options.name}: loading change-log events`);
        }
        if (tracker.state !== 'up') {
          logger.info({ target: options.target }, `${options.name}: reachable`);
        }
        tracker.up();
        everUp = true;
        failures = 0;
        await sleep(options.checkIntervalMs, stop.signal);
      } catch (error) {
        if (stopped()) return;
        if (everUp) tracker.reconnecting(error);
        else tracker.down(error);
        // Before the sink exists, back off; once it runs, its consumer retries on its own and
        // the probe only keeps the health current.
        const ceiling = Math.min(options.retry.maxMs, options.retry.initialMs * 2 ** failures);
        failures = Math.min(failures + 1, 30);
        const delayMs =
          sink === undefined
            ? Math.max(1, Math.floor(Math.random() * ceiling))
            : options.checkIntervalMs;
        logger.warn(
          { error: error instanceof Error ? error.message : String(error), delayMs },
          `${options.name}: unreachable; events wait in the change log, retrying`,
        );
        await sleep(delayMs, stop.signal).catch(() => undefined);
      }
    }
  };
  const running = run();

  let closing: Promise<void> | undefined;
  return {
    get sink() {
      return sink;
    },
    acknowledged: () => consumer?.acknowledged() ?? 0,
    services: (): readonly ServiceHealth[] => [tracker.snapshot()],
    close() {
      closing ??= (async () => {
        stop.abort();
        await running;
        await consumer?.close();
        await sink?.close();
        await options.connection.close();
        tracker.closed();
      })();
      return closing;
    },
  };
}

/** The sink behind its own observers change-log source, acknowledged per stored batch. */
async function consumeBySource<S extends EventSink>(
  options: SinkLoaderOptions<S>,
  sink: S,
  logger: Logger,
): Promise<SinkFeed> {
  const consumer: EventSinkConsumer = createEventSinkConsumer({
    source: createChangeLogSource(options.db, {
      consumer: options.consumer,
      logger: logger.child({ component: 'change-log' }),
    }),
    sink,
    retryDelay: options.retry.initialMs,
    maxRetryDelay: options.retry.maxMs,
    logger,
  });
  try {
    await consumer.start();
  } catch (error) {
    await consumer.close().catch(() => undefined);
    throw error;
  }
  return { acknowledged: () => consumer.stats().acknowledged, close: () => consumer.close() };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
