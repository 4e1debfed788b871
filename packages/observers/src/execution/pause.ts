import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits `ms` (rejecting with the signal's reason when it aborts), calling `keepAlive` every
 * `intervalMs` so leases and claims outlive long waits.
 */
export async function pause(
  ms: number,
  signal: AbortSignal,
  keepAlive: () => Promise<void>,
  intervalMs: number,
): Promise<void> {
  let remaining = ms;
  while (remaining > 0) {
    const step = Math.min(remaining, intervalMs);
    try {
      await sleep(step, undefined, { signal });
    } catch (error) {
      // timers/promises rejects with a generic AbortError; callers want the signal's reason.
      if (signal.aborted) throw signal.reason;
      throw error;
    }
    remaining -= step;
    if (remaining > 0) await keepAlive();
  }
  signal.throwIfAborted();
}
