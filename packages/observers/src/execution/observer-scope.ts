import type { ActionScope, WaitCause } from './action-runner.js';
import type { ObserverClaim } from './claim-stage.js';
import type { ObserverHandlerContext } from './executable-observer.js';
import type { LinkedSignal, SignalFanout } from './signal-fanout.js';
import type { WaitingRooms } from './waiting-room.js';

/**
 * The waits of one event: the signal they stop on (the handler's signal or the executor's
 * shutdown), made only when something waits, and the handler's runtime slot, given up once.
 */
export class EventWaits {
  readonly signal: AbortSignal;
  readonly #shutdown: AbortSignal;
  readonly #fanout: SignalFanout;
  readonly #context: ObserverHandlerContext;
  #link: LinkedSignal | undefined;
  #detached = false;

  constructor(
    signal: AbortSignal,
    shutdown: AbortSignal,
    fanout: SignalFanout,
    context: ObserverHandlerContext,
  ) {
    this.signal = signal;
    this.#shutdown = shutdown;
    this.#fanout = fanout;
    this.#context = context;
  }

  /** Aborts on the handler's signal or the executor's shutdown. */
  waitSignal(): AbortSignal {
    return (this.#link ??= this.#fanout.link([this.signal, this.#shutdown])).signal;
  }

  /** Throws when {@link waitSignal} is (or would be) aborted. */
  throwIfStopped(): void {
    this.signal.throwIfAborted();
    this.#shutdown.throwIfAborted();
  }

  /** Gives up the handler's runtime slot (once per event); false when the runtime refuses. */
  detach(): boolean {
    if (this.#detached || this.#context.detach === undefined) return true;
    this.#detached = this.#context.detach();
    return this.#detached;
  }

  dispose(): void {
    this.#link?.dispose();
  }
}

/** Where one observer's actions run for one event (the run stage's {@link ActionScope}). */
export class ObserverScope implements ActionScope {
  readonly signal: AbortSignal;
  readonly maxAttempts: number | undefined;
  readonly #waits: EventWaits;
  readonly #observer: string;
  readonly #claim: ObserverClaim;
  readonly #context: ObserverHandlerContext;
  readonly #rooms: WaitingRooms | undefined;

  /** Without `rooms`, waits are not bounded and never give up the handler's slot. */
  constructor(
    waits: EventWaits,
    observer: string,
    claim: ObserverClaim,
    context: ObserverHandlerContext,
    rooms: WaitingRooms | undefined,
    maxAttempts?: number,
  ) {
    this.signal = waits.signal;
    this.maxAttempts = maxAttempts;
    this.#waits = waits;
    this.#observer = observer;
    this.#claim = claim;
    this.#context = context;
    this.#rooms = rooms;
  }

  waitSignal(): AbortSignal {
    return this.#waits.waitSignal();
  }

  throwIfStopped(): void {
    this.#waits.throwIfStopped();
  }

  wait(cause: WaitCause): (() => void) | undefined {
    if (this.#rooms === undefined) return noop;
    return this.#rooms.enter(this.#observer, cause, () => this.#waits.detach());
  }

  async keepAlive(): Promise<void> {
    await this.#context.heartbeat?.();
    await this.#claim.extend();
  }
}

function noop(): void {
  // no room to leave
}
