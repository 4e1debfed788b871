/** Something a {@link DeadlineQueue} can expire. */
export interface Expirable {
  /** Called once, when the deadline passes before the entry is removed. */
  expire(): void;
}

/** The entries of one delay, oldest first: their deadlines come in the order they were added. */
interface Lane {
  readonly delayMs: number;
  readonly entries: Map<Expirable, number>;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Per-attempt timeouts without a timer per attempt. Entries of the same delay expire in the
 * order they were added, so one timer per delay, armed for the oldest entry, serves them all;
 * removing an entry is a map deletion. The timer holds the process open only while entries
 * are pending, as a timer of their own would.
 */
export class DeadlineQueue {
  readonly #lanes = new Map<number, Lane>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Entries waiting for their deadline. */
  get size(): number {
    let size = 0;
    for (const lane of this.#lanes.values()) size += lane.entries.size;
    return size;
  }

  /** Calls `entry.expire()` after `delayMs`, unless {@link remove} comes first. */
  add(entry: Expirable, delayMs: number): void {
    let lane = this.#lanes.get(delayMs);
    if (lane === undefined) {
      lane = { delayMs, entries: new Map(), timer: undefined };
      this.#lanes.set(delayMs, lane);
    }
    const wasIdle = lane.entries.size === 0;
    lane.entries.set(entry, this.#now() + delayMs);
    if (lane.timer === undefined) {
      this.#arm(lane, delayMs);
    } else if (wasIdle) {
      // Armed earlier for an entry since removed: it fires early, finds nothing due and re-arms.
      lane.timer.ref();
    }
  }

  /** Removes `entry` (its work ended in time). */
  remove(entry: Expirable, delayMs: number): void {
    const lane = this.#lanes.get(delayMs);
    if (!lane?.entries.delete(entry)) return;
    // Nothing pending: the armed timer stays (re-arming per entry is what this class avoids) but
    // no longer keeps the process alive.
    if (lane.entries.size === 0) lane.timer?.unref();
  }

  #arm(lane: Lane, inMs: number): void {
    if (lane.timer !== undefined) clearTimeout(lane.timer);
    const timer = setTimeout(() => {
      this.#fire(lane);
    }, inMs);
    lane.timer = timer;
  }

  #fire(lane: Lane): void {
    lane.timer = undefined;
    const now = this.#now();
    for (const [entry, deadline] of lane.entries) {
      if (deadline > now) {
        this.#arm(lane, deadline - now);
        return;
      }
      lane.entries.delete(entry);
      entry.expire();
    }
    this.#lanes.delete(lane.delayMs);
  }
}
