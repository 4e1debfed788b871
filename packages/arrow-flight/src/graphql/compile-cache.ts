/**
 * A small least-recently-used map for compiled GraphQL tickets: GetFlightInfo, then DoGet's
 * parse, authorize and open all compile the same request, and so do the many tickets one
 * client issues for the same query. Keys longer than `maxKeyLength` are not kept (a request
 * with megabytes of variables is compiled each time rather than pinned in memory).
 */
export class CompileCache<Value> {
  readonly #entries = new Map<string, Value>();
  readonly #capacity: number;
  readonly #maxKeyLength: number;

  constructor(capacity: number, maxKeyLength: number) {
    this.#capacity = capacity;
    this.#maxKeyLength = maxKeyLength;
  }

  /** The cached value of `key`, or `compute()` (kept when it returns; not when it throws). */
  get(key: string, compute: () => Value): Value {
    const cached = this.#entries.get(key);
    if (cached !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, cached);
      return cached;
    }
    const value = compute();
    if (key.length > this.#maxKeyLength) return value;
    if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, value);
    return value;
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}
