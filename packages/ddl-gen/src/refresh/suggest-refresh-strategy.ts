import { DdlGenError } from '../errors.js';

/** Workload facts {@link suggestRefreshStrategy} decides from. */
export interface RefreshWorkload {
  /** Writes per minute to the entity's source tables (statements, not rows). */
  readonly writesPerMinute: number;
  /** Reads per second of the entity. */
  readonly readsPerSecond: number;
  /** Longest acceptable delay between a committed write and a read that shows it, in ms. */
  readonly maxStalenessMs: number;
}

/** The advice of {@link suggestRefreshStrategy}. */
export interface RefreshSuggestion {
  /**
   * `view`: read `v_` directly, no projection; `trigger`: `tv_`/`ta_` refreshed in the writer's
   * transaction; `scheduled`: rebuilt every `intervalMs`; `manual`: rebuild after data loads.
   */
  readonly strategy: 'view' | 'trigger' | 'scheduled' | 'manual';
  /** pg_cron schedule for `scheduled`. */
  readonly schedule?: string;
  /** Refresh period for `scheduled`, in milliseconds. */
  readonly intervalMs?: number;
  /** One sentence saying which rule decided. */
  readonly reason: string;
}

/** Above this write rate a per-statement refresh costs more than a periodic rebuild. */
export const HEAVY_WRITES_PER_MINUTE = 6000;

/**
 * Suggests how to keep an entity's projection fresh. The rule, in order:
 * 1. no writes → `manual` (rebuild after each data load);
 * 2. fewer reads than writes (`readsPerSecond * 60 < writesPerMinute`) → `view`: a projection
 *    would be refreshed more often than read;
 * 3. more than {@link HEAVY_WRITES_PER_MINUTE} writes per minute and a staleness budget of at
 *    least two seconds → `scheduled`, every half of the budget (so a read is never staler than
 *    the budget while a rebuild takes less than the other half), rounded down to whole minutes
 *    from two minutes up, else to whole seconds;
 * 4. otherwise → `trigger`: reads dominate and must be fresh, or writes are light enough.
 *
 * @throws {DdlGenError} `INVALID_ARGUMENT` for a negative or non-finite number.
 */
export function suggestRefreshStrategy(workload: RefreshWorkload): RefreshSuggestion {
  for (const [key, value] of Object.entries(workload)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new DdlGenError(
        'INVALID_ARGUMENT',
        `suggestRefreshStrategy: ${key} must be a finite number >= 0, got ${String(value)}`,
      );
    }
  }
  const { writesPerMinute, readsPerSecond, maxStalenessMs } = workload;
  if (writesPerMinute === 0) {
    return { strategy: 'manual', reason: 'no writes: rebuild the projection after each data load' };
  }
  if (readsPerSecond * 60 < writesPerMinute) {
    return {
      strategy: 'view',
      reason: `${readsPerSecond * 60} reads/min < ${writesPerMinute} writes/min: a projection would be refreshed more often than read`,
    };
  }
  if (writesPerMinute > HEAVY_WRITES_PER_MINUTE && maxStalenessMs >= 2000) {
    const half = maxStalenessMs / 2;
    const minutes = Math.floor(half / 60_000);
    if (minutes >= 2) {
      return {
        strategy: 'scheduled',
        intervalMs: minutes * 60_000,
        schedule: `*/${Math.min(minutes, 59)} * * * *`,
        reason: `${writesPerMinute} writes/min is write-heavy and ${maxStalenessMs} ms of staleness is allowed: rebuild every ${minutes} min`,
      };
    }
    const seconds = Math.min(59, Math.max(1, Math.floor(half / 1000)));
    return {
      strategy: 'scheduled',
      intervalMs: seconds * 1000,
      schedule: `${seconds} seconds`,
      reason: `${writesPerMinute} writes/min is write-heavy and ${maxStalenessMs} ms of staleness is allowed: rebuild every ${seconds} s`,
    };
  }
  return {
    strategy: 'trigger',
    reason:
      maxStalenessMs < 2000
        ? `reads dominate and must be fresh within ${maxStalenessMs} ms: refresh in the writer's transaction`
        : `${writesPerMinute} writes/min is light: refresh in the writer's transaction`,
  };
}
