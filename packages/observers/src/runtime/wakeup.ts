/**
 * A sticky wake-up flag for a polling loop: `wake()` ends the current `wait()` early, and a
 * wake-up that arrives while nobody waits makes the next `wait()` return at once, so a NOTIFY
 * received during a fetch is never lost.
 */
export class Wakeup {
  #pending = false;
  #resolve: (() => void) | undefined;

  /** Ends the current or next {@link Wakeup.wait}. */
  wake(): void {
    if (this.#resolve === undefined) {
      this.#pending = true;
      return;
    }
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve();
  }

  /** Resolves after `ms`, on {@link Wakeup.wake}, or when `signal` aborts, whichever is first. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#pending || signal?.aborted === true) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        if (this.#resolve === finish) this.#resolve = undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      signal?.addEventListener('abort', finish, { once: true });
      this.#resolve = finish;
    });
  }
}
