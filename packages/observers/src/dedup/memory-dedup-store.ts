import { randomUUID } from 'node:crypto';
import type { ObserverMetrics } from '../metrics/observer-metrics.js';
import type { DedupClaim, DedupStore } from './dedup-store.js';

/** Options of {@link createMemoryDedupStore}. */
export interface MemoryDedupStoreOptions {
  /** Finished-action records kept; the least recently used one is evicted beyond it. @defaultValue `10000` */
  readonly maxEntries?: number | undefined;
  /** Receives `cacheEviction()` for every record evicted to stay under `maxEntries`. */
  readonly metrics?: Pick<ObserverMetrics, 'cacheEviction'> | undefined;
  /** Clock, for tests. @defaultValue `Date.now` */
  readonly now?: (() => number) | undefined;
}

interface Claim {
  readonly token: string;
  expiresAt: number;
}

interface Done {
  readonly results: Map<number, string>;
  expiresAt: number;
}

/**
 * A {@link DedupStore} in process memory: an LRU of finished actions with expiry, and claims
 * with expiry. Right for one instance; several instances need {@link createRedisDedupStore}.
 */
export function createMemoryDedupStore(options: MemoryDedupStoreOptions = {}): DedupStore {
  const maxEntries = Math.max(1, options.maxEntries ?? 10_000);
  const now = options.now ?? Date.now;
  const metrics = options.metrics;
  const claims = new Map<string, Claim>();
  const done = new Map<string, Done>();

  const liveDone = (key: string): Done | undefined => {
    const entry = done.get(key);
    if (entry === undefined) return undefined;
    done.delete(key);
    if (entry.expiresAt <= now()) return undefined;
    done.set(key, entry); // most recently used goes last
    return entry;
  };

  const sweepClaims = (): void => {
    // Claims are few (in-flight work), so an occasional full sweep is cheap.
    if (claims.size < 1024) return;
    const t = now();
    for (const [key, claim] of claims) if (claim.expiresAt <= t) claims.delete(key);
  };

  return {
    kind: 'memory',
    claim(key, ttlMs): Promise<DedupClaim> {
      const completed: ReadonlyMap<number, string> = new Map(liveDone(key)?.results ?? []);
      const held = claims.get(key);
      if (held !== undefined && held.expiresAt > now()) {
        return Promise.resolve({ claimed: false, completed });
      }
      sweepClaims();
      const token = randomUUID();
      claims.set(key, { token, expiresAt: now() + ttlMs });
      return Promise.resolve({ claimed: true, token, completed });
    },
    extend(key, token, ttlMs) {
      const held = claims.get(key);
      if (held?.token === token) held.expiresAt = now() + ttlMs;
      return Promise.resolve();
    },
    complete(key, actionIndex, summary, ttlMs) {
      let entry = liveDone(key);
      if (entry === undefined) {
        entry = { results: new Map(), expiresAt: 0 };
        done.set(key, entry);
        while (done.size > maxEntries) {
          const oldest = done.keys().next();
          if (oldest.done === true) break;
          done.delete(oldest.value);
          metrics?.cacheEviction();
        }
      }
      entry.results.set(actionIndex, summary);
      entry.expiresAt = now() + ttlMs;
      return Promise.resolve();
    },
    release(key, token) {
      if (claims.get(key)?.token === token) claims.delete(key);
      return Promise.resolve();
    },
    close() {
      claims.clear();
      done.clear();
      return Promise.resolve();
    },
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
}
