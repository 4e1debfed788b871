/** The waiters of one signal, behind the single listener registered on it. */
interface Waiters {
  readonly rejects: Set<(reason: unknown) => void>;
  readonly listener: () => void;
}

// One listener per signal however many calls wait on it: the runtime hands one shared signal
// to every handler, and a listener per call would pile up (MaxListenersExceededWarning).
const waitersBySignal = new WeakMap<AbortSignal, Waiters>();

function join(signal: AbortSignal, reject: (reason: unknown) => void): () => void {
  let waiters = waitersBySignal.get(signal);
  if (waiters === undefined) {
    const rejects = new Set<(reason: unknown) => void>();
    const listener = (): void => {
      waitersBySignal.delete(signal);
      for (const waiter of rejects) waiter(signal.reason);
      rejects.clear();
    };
    waiters = { rejects, listener };
    waitersBySignal.set(signal, waiters);
    signal.addEventListener('abort', listener, { once: true });
  }
  const joined = waiters;
  joined.rejects.add(reject);
  return () => {
    joined.rejects.delete(reject);
    // The last waiter leaves: take the listener off, so the signal is back as it was given.
    if (joined.rejects.size === 0 && waitersBySignal.get(signal) === joined) {
      waitersBySignal.delete(signal);
      signal.removeEventListener('abort', joined.listener);
    }
  };
}

/**
 * Settles with `promise`, or rejects with the signal's reason as soon as `signal` aborts (the
 * underlying work is abandoned, not cancelled). However many calls share `signal`, it carries
 * at most one listener from here, removed when the last of them settles.
 *
 * @throws the signal's reason when it is or becomes aborted first.
 */
export async function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  let leave: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    leave = join(signal, reject);
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    leave?.();
  }
}
