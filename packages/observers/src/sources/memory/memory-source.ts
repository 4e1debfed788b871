import {
  silentLogger,
  type Delivery,
  type DeliveryOutcome,
  type EntityEvent,
  type EventSource,
  type EventSourceBacklog,
  type EventSourceStartOptions,
  type Logger,
} from '@fraiseql/core';
import { ObserverError } from '../../errors.js';
import { noopObserverMetrics, type ObserverMetrics } from '../../metrics/observer-metrics.js';
import { handDelivery } from '../hand-delivery.js';

/** Options of {@link createMemorySource}. */
export interface MemorySourceOptions {
  /** @defaultValue silence */
  readonly logger?: Logger | undefined;
  /** @defaultValue {@link noopObserverMetrics} */
  readonly metrics?: ObserverMetrics | undefined;
}

/** An event the memory source moved aside after a `dead` outcome. */
export interface ParkedMemoryEvent {
  readonly event: EntityEvent;
  readonly attempts: number;
  readonly error: unknown;
  readonly parkedAt: Date;
}

/**
 * An in-process {@link EventSource} fed by {@link MemorySource.publish}: the embedded default
 * and a test double with the change-log source's semantics (a `retry` outcome redelivers after
 * its delay with the attempt raised, `dead` moves the event to {@link MemorySource.parked}).
 * Nothing survives the process.
 */
export interface MemorySource extends EventSource {
  readonly kind: 'memory';
  /**
   * Queues events for delivery, in order.
   *
   * @throws {ObserverError} `CLOSED` after `close()`.
   */
  publish(events: EntityEvent | readonly EntityEvent[]): void;
  /** Events that were settled `dead`, oldest first. */
  parked(): readonly ParkedMemoryEvent[];
  /** Queued, waiting-for-retry and in-flight events, and the age of the oldest. */
  backlog(): Promise<EventSourceBacklog>;
}

interface Entry {
  readonly event: EntityEvent;
  readonly attempt: number;
  readonly publishedAt: number;
}

const KIND = 'memory';

/** Creates an empty {@link MemorySource}. */
export function createMemorySource(options: MemorySourceOptions = {}): MemorySource {
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? noopObserverMetrics;
  const queue: Entry[] = [];
  const delayed = new Map<NodeJS.Timeout, Entry>();
  const inFlight = new Set<Entry>();
  // Unsettled but detached by the consumer: they no longer count against maxInFlight.
  const detached = new Set<Entry>();
  const parkedEvents: ParkedMemoryEvent[] = [];
  let state: 'idle' | 'running' | 'stopped' | 'closed' = 'idle';
  let onDelivery: EventSourceStartOptions['onDelivery'] | undefined;
  let maxInFlight = Number.POSITIVE_INFINITY;
  let scheduled = false;

  function schedule(): void {
    if (scheduled || state !== 'running') return;
    scheduled = true;
    queueMicrotask(deliverAvailable);
  }

  function deliverAvailable(): void {
    scheduled = false;
    let batch = 0;
    while (state === 'running' && inFlight.size - detached.size < maxInFlight) {
      const entry = queue.shift();
      if (entry === undefined) break;
      batch += 1;
      inFlight.add(entry);
      handDelivery(onDelivery, createDelivery(entry), logger, { source: KIND });
    }
    if (batch > 0) metrics.sourceBatch(KIND, batch);
  }

  function createDelivery(entry: Entry): Delivery {
    let settled = false;
    return {
      event: entry.event,
      attempt: entry.attempt,
      heartbeat: () => Promise.resolve(),
      detach(): void {
        if (settled || !inFlight.has(entry)) return;
        detached.add(entry);
        schedule();
      },
      settle(outcome: DeliveryOutcome): Promise<void> {
        if (settled) {
          return Promise.reject(
            new ObserverError('INVALID_ARGUMENT', `event ${entry.event.id} is already settled`),
          );
        }
        if (state === 'closed') {
          return Promise.reject(
            new ObserverError(
              'CLOSED',
              `the memory source is closed; event ${entry.event.id} is lost`,
            ),
          );
        }
        settled = true;
        inFlight.delete(entry);
        detached.delete(entry);
        if (outcome.status === 'retry') {
          const next: Entry = { ...entry, attempt: entry.attempt + 1 };
          const delay = Math.max(0, outcome.delayMs ?? 0);
          const timer = setTimeout(() => {
            delayed.delete(timer);
            queue.push(next);
            schedule();
          }, delay);
          delayed.set(timer, next);
        } else if (outcome.status === 'dead') {
          parkedEvents.push({
            event: entry.event,
            attempts: entry.attempt,
            error: outcome.error,
            parkedAt: new Date(),
          });
        }
        schedule();
        return Promise.resolve();
      },
    };
  }

  const source: MemorySource = {
    kind: KIND,

    publish(events: EntityEvent | readonly EntityEvent[]): void {
      if (state === 'closed') {
        throw new ObserverError('CLOSED', 'publish: the memory source is closed');
      }
      const now = Date.now();
      const list: readonly EntityEvent[] = isEventList(events) ? events : [events];
      for (const event of list) queue.push({ event, attempt: 1, publishedAt: now });
      schedule();
    },

    parked: () => [...parkedEvents],

    backlog(): Promise<EventSourceBacklog> {
      const entries = [...queue, ...delayed.values(), ...inFlight];
      const oldest = Math.min(...entries.map((entry) => entry.publishedAt));
      return Promise.resolve({
        events: entries.length,
        oldestAgeSeconds: entries.length === 0 ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
      });
    },

    start(startOptions: EventSourceStartOptions): Promise<void> {
      if (state !== 'idle') {
        return Promise.reject(
          new ObserverError(
            state === 'closed' ? 'CLOSED' : 'INVALID_ARGUMENT',
            'the memory source was already started',
          ),
        );
      }
      if (startOptions.maxInFlight !== undefined) {
        if (!Number.isInteger(startOptions.maxInFlight) || startOptions.maxInFlight < 1) {
          return Promise.reject(
            new ObserverError(
              'INVALID_ARGUMENT',
              `start.maxInFlight: expected an integer >= 1, got ${JSON.stringify(startOptions.maxInFlight)}`,
            ),
          );
        }
        maxInFlight = startOptions.maxInFlight;
      }
      onDelivery = startOptions.onDelivery;
      state = 'running';
      startOptions.signal?.addEventListener(
        'abort',
        () => {
          if (state === 'running') state = 'stopped';
        },
        { once: true },
      );
      if (startOptions.signal?.aborted === true) state = 'stopped';
      schedule();
      return Promise.resolve();
    },

    close(): Promise<void> {
      if (state === 'closed') return Promise.resolve();
      state = 'closed';
      for (const timer of delayed.keys()) clearTimeout(timer);
      // Unsettled deliveries go back to the front of the queue, as a lease expiry would do.
      queue.unshift(...[...inFlight].map((entry) => ({ ...entry, attempt: entry.attempt + 1 })));
      inFlight.clear();
      detached.clear();
      return Promise.resolve();
    },

    async [Symbol.asyncDispose](): Promise<void> {
      await source.close();
    },
  };
  return source;
}

function isEventList(value: EntityEvent | readonly EntityEvent[]): value is readonly EntityEvent[] {
  return Array.isArray(value);
}
