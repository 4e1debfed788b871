/**
 * What {@link DedupStore.claim} found: whether this caller now holds the processing claim of
 * (event, observer), and the actions already finished for it (action index → result summary).
 */
export type DedupClaim =
  | {
      readonly claimed: true;
      /** Proof of ownership for {@link DedupStore.release} and {@link DedupStore.extend}. */
      readonly token: string;
      readonly completed: ReadonlyMap<number, string>;
    }
  | { readonly claimed: false; readonly completed: ReadonlyMap<number, string> };

/**
 * Remembers which (event, observer) pairs are being processed and which of their actions have
 * finished, so a redelivered event neither runs twice at once nor repeats finished actions.
 * Implementations: {@link createRedisDedupStore} (shared by every instance) and
 * {@link createMemoryDedupStore} (one process). Methods throw when the store is unreachable;
 * the executor then degrades to processing (at-least-once).
 */
export interface DedupStore {
  /** `redis` or `memory`, for logs. */
  readonly kind: string;
  /** Atomically takes the processing claim of `key` for `ttlMs` unless someone holds it. */
  claim(key: string, ttlMs: number): Promise<DedupClaim>;
  /** Keeps a held claim alive for another `ttlMs`. */
  extend(key: string, token: string, ttlMs: number): Promise<void>;
  /** Records that action `actionIndex` of `key` finished, remembered for `ttlMs`. */
  complete(key: string, actionIndex: number, summary: string, ttlMs: number): Promise<void>;
  /** Gives a claim up (only when `token` still owns it), so a redelivery can run at once. */
  release(key: string, token: string): Promise<void>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
