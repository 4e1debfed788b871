import type { EntityEvent, Logger } from '@fraiseql/core';
import { ObserverError } from '../errors.js';
import type { ObserverHandlerContext, ObserverLookup } from './executable-observer.js';
import type { SignalFanout } from './signal-fanout.js';

/** Resolves once an observer runs again, or says it never will. */
export type WhenRunning = NonNullable<ObserverLookup['whenRunning']>;

/** Settings of {@link PauseHold}. */
export interface PauseHoldSettings {
  readonly fanout: SignalFanout;
  readonly logger: Logger;
  readonly maxPauseWaitMs: number;
  readonly heartbeatIntervalMs: number;
}

/**
 * Holds the events of paused observers: until the observer runs again (`'running'`), or is
 * disabled or removed (the event is dropped for it: disabling drops, pausing holds). Keeps the
 * delivery alive meanwhile and holds no action slot; after `maxPauseWait` the event is handed
 * back (a deferred `OBSERVER_PAUSED`) so the source redelivers it later.
 */
export class PauseHold {
  readonly #settings: PauseHoldSettings;
  #held = 0;

  constructor(settings: PauseHoldSettings) {
    this.#settings = settings;
  }

  /** (event, observer) pairs held now. */
  get held(): number {
    return this.#held;
  }

  /**
   * Holds `event` for the paused observer `name`; `signal` ends the hold early (shutdown,
   * lease lost) with its reason.
   *
   * @throws {ObserverError} `OBSERVER_PAUSED` (deferred) after `maxPauseWait`.
   */
  async hold(
    name: string,
    event: EntityEvent,
    context: ObserverHandlerContext,
    signal: AbortSignal,
    whenRunning: WhenRunning,
  ): Promise<'running' | 'disabled' | 'removed'> {
    const { fanout, logger, maxPauseWaitMs, heartbeatIntervalMs } = this.#settings;
    signal.throwIfAborted();
    const link = fanout.link([signal]);
    const timer = setTimeout(() => {
      link.abort(
        new ObserverError(
          'OBSERVER_PAUSED',
          `observer ${name} stayed paused for ${maxPauseWaitMs}ms; event ${event.id} is handed back for redelivery`,
          { retryable: true, deferred: true, retryAfterMs: maxPauseWaitMs, errorType: 'paused' },
        ),
      );
    }, maxPauseWaitMs);
    const beat = setInterval(() => {
      context.heartbeat?.().catch((error: unknown) => {
        logger.warn({ err: error, eventId: event.id, observer: name }, 'heartbeat failed');
      });
    }, heartbeatIntervalMs);
    this.#held += 1;
    logger.debug({ eventId: event.id, observer: name }, 'observer paused; holding the event');
    try {
      return await whenRunning(name, { signal: link.signal });
    } finally {
      this.#held -= 1;
      clearTimeout(timer);
      clearInterval(beat);
      link.dispose();
    }
  }
}
