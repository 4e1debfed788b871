/** A signal that follows its parents, and can also be aborted on its own. */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  abort(reason: unknown): void;
  /** Stops following the parents; call it once the work is over. */
  dispose(): void;
}

/**
 * Derives child signals from long-lived parents (the runtime's shared handler signal, the
 * executor's shutdown signal) with ONE listener per parent, however many children are alive.
 * Adding a listener per event or attempt would pile hundreds onto a shared signal, and
 * `AbortSignal.any` keeps its children reachable for as long as the parent lives.
 */
export class SignalFanout {
  readonly #children = new WeakMap<AbortSignal, Set<(reason: unknown) => void>>();

  /**
   * A child of `parents` (undefined entries are ignored). `onAbort` runs once, with the reason,
   * when the child aborts (cheaper than a listener on the child's signal).
   */
  link(
    parents: readonly (AbortSignal | undefined)[],
    onAbort?: (reason: unknown) => void,
  ): LinkedSignal {
    const controller = new AbortController();
    const abort = (reason: unknown): void => {
      if (controller.signal.aborted) return;
      controller.abort(reason);
      onAbort?.(reason);
    };
    const joined: Set<(reason: unknown) => void>[] = [];
    for (const parent of parents) {
      if (parent === undefined) continue;
      if (parent.aborted) {
        abort(parent.reason);
        break;
      }
      let children = this.#children.get(parent);
      if (children === undefined) {
        const set = new Set<(reason: unknown) => void>();
        children = set;
        this.#children.set(parent, set);
        parent.addEventListener(
          'abort',
          () => {
            for (const child of set) child(parent.reason);
            set.clear();
          },
          { once: true },
        );
      }
      children.add(abort);
      joined.push(children);
    }
    return {
      signal: controller.signal,
      abort,
      dispose: () => {
        for (const children of joined) children.delete(abort);
      },
    };
  }
}
