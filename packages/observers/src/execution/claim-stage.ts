import type { EntityEvent, Logger } from '@fraiseql/core';
import type { DedupStore } from '../dedup/dedup-store.js';
import { ObserverError } from '../errors.js';
import type { ObserverMetrics } from '../metrics/observer-metrics.js';

/**
 * What the claim stage hands the run stage for one (event, observer): which actions an earlier
 * delivery finished, and the ways to keep, record and release the processing claim.
 */
export interface ObserverClaim {
  /** Whether this process holds the processing claim (false without dedup or when it is down). */
  readonly held: boolean;
  /** Whether action `index` finished in an earlier delivery (skip it). */
  isDone(index: number): boolean;
  /** Keeps a held claim alive through a long wait. */
  extend(): Promise<void>;
  /** Records that action `index` finished, so a redelivery skips it. */
  complete(index: number, summary: string): Promise<void>;
  /** Gives the claim up once the observer's actions are over. */
  release(): Promise<void>;
}

const resolved = Promise.resolve();

/** The claim without dedup: nothing finished before, nothing to keep, record or release. */
export const NO_CLAIM: ObserverClaim = {
  held: false,
  isDone: () => false,
  extend: () => resolved,
  complete: () => resolved,
  release: () => resolved,
};

/** Settings of {@link ClaimStage}. */
export interface ClaimStageSettings {
  readonly dedup: DedupStore | undefined;
  readonly metrics: ObserverMetrics;
  readonly logger: Logger;
  readonly claimTtlMs: number;
  readonly resultTtlMs: number;
}

/**
 * The claim stage: before an observer runs for an event, takes the (event, observer)
 * processing claim in the dedup store and learns which of its actions finished in an earlier
 * delivery. A store that fails is counted and logged once, and processing goes on without
 * dedup (at-least-once). Without a store it costs nothing: every run gets {@link NO_CLAIM}.
 */
export class ClaimStage {
  readonly #settings: ClaimStageSettings;
  #failures = 0;
  #down = false;

  constructor(settings: ClaimStageSettings) {
    this.#settings = settings;
  }

  /** Whether claims go to a dedup store at all. */
  get enabled(): boolean {
    return this.#settings.dedup !== undefined;
  }

  /** Dedup store calls that failed. */
  get failures(): number {
    return this.#failures;
  }

  /**
   * Claims (event, observer) for `actionCount` actions.
   *
   * @throws {ObserverError} `DUPLICATE_IN_PROGRESS` (retryable, deferred) when another delivery
   * holds the claim and some action is not finished yet: the source delivers the event later.
   */
  async claim(event: EntityEvent, observer: string, actionCount: number): Promise<ObserverClaim> {
    const { dedup, metrics, claimTtlMs } = this.#settings;
    if (dedup === undefined) return NO_CLAIM;
    const key = claimKey(event.id, observer);
    let found;
    try {
      found = await dedup.claim(key, claimTtlMs);
      this.#available();
    } catch (error) {
      this.#failed(error, 'claim');
      return NO_CLAIM;
    }
    const { completed } = found;
    if (completed.size > 0) metrics.dedupDetected();
    if (!found.claimed) {
      if (completed.size === 0) metrics.dedupDetected();
      let allDone = true;
      for (let index = 0; index < actionCount; index += 1) {
        if (!completed.has(index)) allDone = false;
      }
      if (!allDone) {
        throw new ObserverError(
          'DUPLICATE_IN_PROGRESS',
          `event ${event.id} is being processed for observer ${observer} elsewhere; deliver it later`,
          {
            retryable: true,
            deferred: true,
            retryAfterMs: claimTtlMs,
            errorType: 'duplicate_in_progress',
          },
        );
      }
    }
    return new StoredClaim(this, key, found.claimed ? found.token : undefined, completed);
  }

  /** Records a finished action outside a claim (a dead letter replayed by hand). */
  async recordDone(
    eventId: string,
    observer: string,
    index: number,
    summary: string,
  ): Promise<void> {
    const { dedup, resultTtlMs } = this.#settings;
    if (dedup === undefined) return;
    await dedup
      .complete(claimKey(eventId, observer), index, summary, resultTtlMs)
      .catch((error: unknown) => {
        this.#failed(error, 'complete');
      });
  }

  /** @internal The store calls of a held claim; failures degrade to at-least-once. */
  async call(
    operation: 'extend' | 'complete' | 'release',
    work: (store: DedupStore, ttl: { claimTtlMs: number; resultTtlMs: number }) => Promise<void>,
  ): Promise<void> {
    const { dedup } = this.#settings;
    if (dedup === undefined) return;
    await work(dedup, this.#settings).catch((error: unknown) => {
      this.#failed(error, operation);
    });
  }

  #failed(error: unknown, operation: string): void {
    const { metrics, logger, dedup } = this.#settings;
    this.#failures += 1;
    metrics.dedupUnavailable?.();
    if (!this.#down) {
      this.#down = true;
      logger.warn(
        { err: error, operation, store: dedup?.kind },
        'dedup store unavailable; processing without dedup (at-least-once)',
      );
    }
  }

  #available(): void {
    if (this.#down) {
      this.#down = false;
      this.#settings.logger.info(
        { store: this.#settings.dedup?.kind },
        'dedup store available again',
      );
    }
  }
}

/** The key of one (event, observer) in the dedup store. */
export function claimKey(eventId: string, observer: string): string {
  return `${eventId}:${observer}`;
}

class StoredClaim implements ObserverClaim {
  readonly #stage: ClaimStage;
  readonly #key: string;
  readonly #token: string | undefined;
  readonly #completed: ReadonlyMap<number, string>;

  constructor(
    stage: ClaimStage,
    key: string,
    token: string | undefined,
    completed: ReadonlyMap<number, string>,
  ) {
    this.#stage = stage;
    this.#key = key;
    this.#token = token;
    this.#completed = completed;
  }

  get held(): boolean {
    return this.#token !== undefined;
  }

  isDone(index: number): boolean {
    return this.#completed.has(index);
  }

  extend(): Promise<void> {
    const token = this.#token;
    if (token === undefined) return resolved;
    return this.#stage.call('extend', (store, ttl) =>
      store.extend(this.#key, token, ttl.claimTtlMs),
    );
  }

  complete(index: number, summary: string): Promise<void> {
    if (this.#token === undefined) return resolved;
    return this.#stage.call('complete', (store, ttl) =>
      store.complete(this.#key, index, summary, ttl.resultTtlMs),
    );
  }

  release(): Promise<void> {
    const token = this.#token;
    if (token === undefined) return resolved;
    // The claim only guards processing: finished actions are in the done records, and a
    // failed action must be free to run again on redelivery or retry.
    return this.#stage.call('release', (store) => store.release(this.#key, token));
  }
}
