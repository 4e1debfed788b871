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
  readonly #children = new WeakMap<AbortSignal, Set<AbortController>>();

  /** A child of `parents` (undefined entries are ignored). */
  link(parents: readonly (AbortSignal | undefined)[]): LinkedSignal {
    const controller = new AbortController();
    const joined: Set<AbortController>[] = [];
    for (const parent of parents) {
      if (parent === undefined) continue;
      if (parent.aborted) {
        controller.abort(parent.reason);
        break;
      }
      let children = this.#children.get(parent);
      if (children === undefined) {
        const set = new Set<AbortController>();
        children = set;
        this.#children.set(parent, set);
        parent.addEventListener(
          'abort',
          () => {
            for (const child of set) child.abort(parent.reason);
            set.clear();
          },
          { once: true },
        );
      }
      children.add(controller);
      joined.push(children);
    }
    return {
      signal: controller.signal,
      abort: (reason) => {
        controller.abort(reason);
      },
      dispose: () => {
        for (const children of joined) children.delete(controller);
      },
    };
  }
}
