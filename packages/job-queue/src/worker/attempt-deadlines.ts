import { setMaxListeners } from 'node:events';

/** The signal of one attempt; `release()` when the attempt ends, exactly once. */
export interface AttemptDeadline {
  readonly signal: AbortSignal;
  release(): void;
}

/** Longest an attempt's timeout is rounded up by, so attempts can share a deadline. */
export const MAX_DEADLINE_SLACK_MS = 50;

interface Bucket extends AttemptDeadline {
  readonly controller: AbortController;
  readonly timeoutMs: number;
  /** Attempts may join until this time (epoch ms). */
  readonly openUntil: number;
  timer: NodeJS.Timeout | undefined;
  users: number;
}

/**
 * Deadline signals for job attempts. Attempts with the same timeout that start within a short
 * window (1 % of the timeout, at most {@link MAX_DEADLINE_SLACK_MS}) share one
 * `AbortController` and one timer: the signal aborts with a `TimeoutError` once the last of
 * them reached its timeout, so each attempt gets at least its timeout and at most the window
 * more. A busy worker thus allocates a controller, a timer and a listener per window instead
 * of per job (they were most of the worker's own cost per no-op job). When `shutdown` aborts,
 * every live signal aborts with its reason.
 */
export class AttemptDeadlines {
  readonly #shutdown: AbortSignal;
  readonly #open = new Map<number, Bucket>();
  readonly #live = new Set<Bucket>();

  constructor(shutdown: AbortSignal) {
    this.#shutdown = shutdown;
    shutdown.addEventListener(
      'abort',
      () => {
        for (const bucket of this.#live) bucket.controller.abort(shutdown.reason);
      },
      { once: true },
    );
  }

  /** Signals not yet released (for tests and leak checks). */
  get live(): number {
    return this.#live.size;
  }

  /** A signal that aborts after at least `timeoutMs`, or on shutdown. */
  acquire(timeoutMs: number): AttemptDeadline {
    const now = Date.now();
    const open = this.#open.get(timeoutMs);
    if (open !== undefined && now < open.openUntil && !open.controller.signal.aborted) {
      // Handlers sharing the signal may each listen to it (fetch does); a lone one need not.
      if (open.users === 1) setMaxListeners(0, open.signal);
      open.users += 1;
      return open;
    }
    const slack = Math.min(MAX_DEADLINE_SLACK_MS, Math.floor(timeoutMs / 100));
    const controller = new AbortController();
    const bucket: Bucket = {
      controller,
      signal: controller.signal,
      timeoutMs,
      openUntil: now + slack,
      timer: undefined,
      users: 1,
      release: () => {
        this.#release(bucket);
      },
    };
    if (this.#shutdown.aborted) {
      controller.abort(this.#shutdown.reason);
      return bucket;
    }
    bucket.timer = setTimeout(() => {
      controller.abort(new DOMException('job attempt timed out', 'TimeoutError'));
    }, timeoutMs + slack);
    this.#live.add(bucket);
    if (slack > 0) this.#open.set(timeoutMs, bucket);
    return bucket;
  }

  #release(bucket: Bucket): void {
    bucket.users -= 1;
    if (bucket.users > 0) return;
    // The last attempt of the window ended: nothing waits on the timer any more.
    clearTimeout(bucket.timer);
    this.#live.delete(bucket);
    if (this.#open.get(bucket.timeoutMs) === bucket) this.#open.delete(bucket.timeoutMs);
  }
}
