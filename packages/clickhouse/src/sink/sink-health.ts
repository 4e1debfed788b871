import type { ServiceHealth } from '@fraiseql/core';

/** What {@link ClickHouseSink.health} reports. */
export interface ClickHouseSinkHealth {
  /**
   * The connection: `up` after a successful round trip; `reconnecting` while ClickHouse is
   * unreachable or overloaded and inserts are retried with backoff; `down` after ClickHouse
   * refused a batch for a reason a retry will not change (its rows go back to their source);
   * `closed` after `close()`.
   */
  readonly service: ServiceHealth;
  readonly serverVersion: string;
  /** Rows waiting to be stored. */
  readonly bufferedRows: number;
  /** Active parts in the busiest partition of the raw table, as last read. */
  readonly activeParts: number;
}
