/**
 * Runs tasks one at a time per key, in the order `run` was called, while different keys run
 * in parallel. `run` takes its place in line synchronously, so the call order is the order.
 * Keys with nothing queued cost nothing.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Keys with a task running or waiting. */
  get size(): number {
    return this.#tails.size;
  }

  /** Runs `task` after every earlier task of `key` has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    const result = previous === undefined ? task() : previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
