/** What {@link ClickHouseSink.health} reports. */
export interface ClickHouseSinkHealth {
  /**
   * `up`: the last round trip succeeded; `down`: ClickHouse is unreachable or overloaded and
   * inserts are being retried; `degraded`: ClickHouse refused a batch for a reason a retry will
   * not change (the rows are handed back to their source).
   */
  readonly state: 'up' | 'down' | 'degraded';
  /** When `state` last changed. */
  readonly since: Date;
  readonly lastError: { readonly message: string; readonly at: Date } | undefined;
  readonly serverVersion: string;
  /** Rows waiting to be stored. */
  readonly bufferedRows: number;
  /** Active parts in the busiest partition of the raw table, as last read. */
  readonly activeParts: number;
}
