import type { Logger } from '@fraiseql/core';
import type { ClickHouseConnection } from '../connection/clickhouse-connection.js';
import type { EventTables } from '../schema/event-tables.js';
import { quoteString } from '../schema/identifiers.js';

/** Options of {@link PartsGuard}. */
export interface PartsGuardOptions {
  readonly connection: ClickHouseConnection;
  readonly tables: EventTables;
  readonly maxActiveParts: number;
  readonly checkInterval: number;
  readonly logger: Logger;
}

/**
 * Watches the active parts of the raw table, the count ClickHouse compares with
 * `parts_to_throw_insert` before answering `TOO_MANY_PARTS`. The sink asks it before each
 * insert and, while the busiest partition is at the limit, waits and lets batches grow.
 */
export class PartsGuard {
  readonly #o: PartsGuardOptions;
  #checkedAt = 0;
  #lastCount = 0;

  constructor(options: PartsGuardOptions) {
    this.#o = options;
  }

  /** True when the busiest partition holds at least `maxActiveParts` active parts. */
  async overLimit(): Promise<boolean> {
    const now = Date.now();
    // Near the limit every insert checks; far below it, once per interval.
    const near = this.#lastCount >= this.#o.maxActiveParts * 0.8;
    if (!near && now - this.#checkedAt < this.#o.checkInterval) return false;
    this.#checkedAt = now;
    try {
      const rows = await this.#o.connection.query<{ parts: number | string }>(
        `SELECT count() AS parts FROM system.parts
WHERE database = ${quoteString(this.#o.tables.plain.database)} AND table = ${quoteString(this.#o.tables.plain.raw)} AND active
GROUP BY partition ORDER BY parts DESC LIMIT 1`,
      );
      this.#lastCount = Number(rows[0]?.parts ?? 0);
    } catch (error) {
      // Not knowing the count must not stop inserts; the insert itself reports an outage.
      this.#o.logger.debug(
        { error: error instanceof Error ? error.message : String(error) },
        'clickhouse: could not read system.parts',
      );
      return false;
    }
    return this.#lastCount >= this.#o.maxActiveParts;
  }

  /**
   * Counts an insert the sink just made: each insert adds at least one part, so between two
   * reads of `system.parts` the estimate grows and a burst of inserts reaches the "near" band,
   * where every insert reads the real count again.
   */
  inserted(): void {
    this.#lastCount += 1;
  }

  /** The last count read, plus the inserts made since. */
  get activeParts(): number {
    return this.#lastCount;
  }
}
