/** A signal that follows its parents, and can also be aborted on its own. */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  abort(reason: unknown): void;
  /** Stops following the parents; call it once the work is over. */
  dispose(): void;
}

/** What a parent's abort is passed on to: a {@link LinkedSignal}, or an action attempt. */
export interface FanoutChild {
  parentAborted(reason: unknown): void;
}

class Link implements LinkedSignal, FanoutChild {
  readonly #controller = new AbortController();
  readonly #onAbort: ((reason: unknown) => void) | undefined;
  readonly #fanout: SignalFanout;
  readonly #joined: AbortSignal[] = [];

  constructor(fanout: SignalFanout, onAbort: ((reason: unknown) => void) | undefined) {
    this.#fanout = fanout;
    this.#onAbort = onAbort;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  follow(parent: AbortSignal): boolean {
    if (!this.#fanout.join(parent, this)) {
      this.abort(parent.reason);
      return false;
    }
    this.#joined.push(parent);
    return true;
  }

  parentAborted(reason: unknown): void {
    this.abort(reason);
  }

  abort(reason: unknown): void {
    if (this.#controller.signal.aborted) return;
    this.#controller.abort(reason);
    this.#onAbort?.(reason);
  }

  dispose(): void {
    for (const parent of this.#joined) this.#fanout.leave(parent, this);
  }
}

/**
 * Passes the abort of long-lived parents (the runtime's shared handler signal, the executor's
 * shutdown signal) on to short-lived children with ONE listener per parent, however many
 * children are alive. Adding a listener per event or attempt would pile hundreds onto a shared
 * signal, and `AbortSignal.any` keeps its children reachable for as long as the parent lives.
 */
export class SignalFanout {
  readonly #children = new WeakMap<AbortSignal, Set<FanoutChild>>();

  /**
   * A child signal of `parents` (undefined entries are ignored). `onAbort` runs once, with the
   * reason, when the child aborts (cheaper than a listener on the child's signal).
   */
  link(
    parents: readonly (AbortSignal | undefined)[],
    onAbort?: (reason: unknown) => void,
  ): LinkedSignal {
    const link = new Link(this, onAbort);
    for (const parent of parents) {
      if (parent !== undefined && !link.follow(parent)) break;
    }
    return link;
  }

  /**
   * Tells `child` when `parent` aborts, without a signal of its own: false (and nothing joined)
   * when `parent` is already aborted. Call {@link leave} once the child's work is over.
   */
  join(parent: AbortSignal, child: FanoutChild): boolean {
    if (parent.aborted) return false;
    let children = this.#children.get(parent);
    if (children === undefined) {
      const set = new Set<FanoutChild>();
      children = set;
      this.#children.set(parent, set);
      parent.addEventListener(
        'abort',
        () => {
          for (const each of set) each.parentAborted(parent.reason);
          set.clear();
        },
        { once: true },
      );
    }
    children.add(child);
    return true;
  }

  /** Stops telling `child` about `parent`. */
  leave(parent: AbortSignal, child: FanoutChild): void {
    this.#children.get(parent)?.delete(child);
  }
}
