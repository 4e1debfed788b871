import type { ObserverMetrics } from '../metrics/observer-metrics.js';
import type { ObserverHealth } from '../runtime/observer-runtime-options.js';
import type { WaitCause } from './action-runner.js';

/** The waits of one observer: its runs waiting on a breaker or a retry backoff. */
interface Room {
  count: number;
  /** Waits per endpoint whose breaker is open. */
  readonly onBreaker: Map<string, number>;
  /** Whether the last wait was refused because the room was full. */
  full: boolean;
}

/**
 * Bounds the runs of each observer that wait on an open breaker or a retry backoff, so one
 * failing observer never holds more than `maxPerObserver` events; reports each observer's
 * waits (`observerWaiting` metric, {@link health}).
 */
export class WaitingRooms {
  readonly #rooms = new Map<string, Room>();
  readonly #max: number;
  readonly #metrics: ObserverMetrics;

  constructor(maxPerObserver: number, metrics: ObserverMetrics) {
    this.#max = maxPerObserver;
    this.#metrics = metrics;
  }

  /**
   * Enters `name`'s room before a wait, once `detach` gave up the handler's runtime slot.
   * Resolves to the function that leaves it, or undefined when the room is full or `detach`
   * refused (the wait is then handed back to the source).
   */
  enter(name: string, cause: WaitCause, detach: () => boolean): (() => void) | undefined {
    let room = this.#rooms.get(name);
    if (room === undefined) {
      room = { count: 0, onBreaker: new Map(), full: false };
      this.#rooms.set(name, room);
    }
    if (room.count >= this.#max || !detach()) {
      room.full = true;
      if (room.count === 0) this.#rooms.delete(name);
      return undefined;
    }
    const entered = room;
    entered.full = false;
    entered.count += 1;
    const endpoint = cause.kind === 'breaker' ? cause.endpoint : undefined;
    if (endpoint !== undefined) {
      entered.onBreaker.set(endpoint, (entered.onBreaker.get(endpoint) ?? 0) + 1);
    }
    this.#metrics.observerWaiting?.(name, entered.count);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      entered.count -= 1;
      if (endpoint !== undefined) {
        const n = (entered.onBreaker.get(endpoint) ?? 1) - 1;
        if (n > 0) entered.onBreaker.set(endpoint, n);
        else entered.onBreaker.delete(endpoint);
      }
      if (entered.count === 0 && this.#rooms.get(name) === entered) this.#rooms.delete(name);
      this.#metrics.observerWaiting?.(name, entered.count);
    };
  }

  /** Runs waiting now, per observer (observers with none omitted). */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.#rooms].map(([name, room]) => [name, room.count]));
  }

  /** `degraded` for observers waiting on an open breaker or whose room is full. */
  health(): ObserverHealth[] {
    return [...this.#rooms].map(([name, room]) => ({
      name,
      state: room.onBreaker.size > 0 || room.full ? ('degraded' as const) : ('ok' as const),
      waiting: room.count,
      openEndpoints: [...room.onBreaker.keys()],
    }));
  }
}
