import { ObserverError } from '../errors.js';

/**
 * A counting semaphore with first-come-first-served waiters. `acquire` resolves to a release
 * function; an aborted `signal` removes the waiter and rejects with the signal's reason.
 */
export class Semaphore {
  #limit: number;
  #inUse = 0;
  readonly #waiters: { grant: () => void; reject: (reason: unknown) => void }[] = [];

  /** @throws {ObserverError} `INVALID_ARGUMENT` when `limit` is not a positive integer. */
  constructor(limit: number, path = 'concurrency') {
    this.#limit = Semaphore.#check(limit, path);
  }

  static #check(limit: number, path: string): number {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new ObserverError(
        'INVALID_ARGUMENT',
        `${path}: expected an integer >= 1, got ${JSON.stringify(limit)}`,
      );
    }
    return limit;
  }

  /** Slots the semaphore grants at once. */
  get limit(): number {
    return this.#limit;
  }

  /** Slots currently held. */
  get inUse(): number {
    return this.#inUse;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Changes the limit; extra waiters are admitted at once when it grows. */
  resize(limit: number): void {
    this.#limit = Semaphore.#check(limit, 'concurrency');
    this.#drain();
  }

  /** Takes a slot when one is free and nobody waits, without allocating a promise. */
  tryAcquire(): (() => void) | undefined {
    return this.tryTake() ? this.#releaser() : undefined;
  }

  /** Waits for a slot. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    await this.take(signal);
    return this.#releaser();
  }

  /**
   * Takes a slot when one is free and nobody waits, allocating nothing; the caller owes one
   * {@link give} for every `true`.
   */
  tryTake(): boolean {
    if (this.#inUse >= this.#limit || this.#waiters.length > 0) return false;
    this.#inUse += 1;
    return true;
  }

  /** Waits for a slot; the caller owes one {@link give} once it resolves. */
  async take(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.tryTake()) return;
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /**
   * Rejects every caller waiting now with `reason` (one call for all of them, where a signal
   * per caller would add a listener per waiter).
   */
  cancelWaiting(reason: unknown): void {
    const waiters = this.#waiters.splice(0);
    for (const waiter of waiters) waiter.reject(reason);
  }

  /** Gives back a slot taken with {@link tryTake} or {@link take}. */
  give(): void {
    this.#inUse -= 1;
    this.#drain();
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.give();
    };
  }

  #drain(): void {
    while (this.#inUse < this.#limit) {
      const next = this.#waiters.shift();
      if (next === undefined) return;
      this.#inUse += 1;
      next.grant();
    }
  }
}
