import { ClickHouseError } from '../errors.js';
import type { ClickHouseConnection } from '../connection/clickhouse-connection.js';

/** What the connected server can do, decided from `SELECT version()`. */
export interface ServerCapabilities {
  /** The version text the server reported (`18.16.1`, `24.8.4.13`). */
  readonly version: string;
  /** `DateTime64(6, 'UTC')` (20.1+); otherwise `DateTime('UTC')`, whole seconds. */
  readonly dateTime64: boolean;
  /** `LowCardinality(String)` (19.1+). */
  readonly lowCardinality: boolean;
  /** Table `TTL` (19.6+). */
  readonly ttl: boolean;
  /** `insert_deduplication_token` on non-replicated tables (22.2+). */
  readonly dedupToken: boolean;
  /** Data-skipping indexes such as `bloom_filter` (20.1+). */
  readonly skipIndexes: boolean;
}

/** Capabilities of a server that reported `version`. */
export function capabilitiesOf(version: string): ServerCapabilities {
  const match = /^(\d+)\.(\d+)/.exec(version.trim());
  if (match === null) {
    throw new ClickHouseError(
      'UNAVAILABLE',
      `SELECT version() answered ${JSON.stringify(version.slice(0, 40))}, not a ClickHouse version`,
    );
  }
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const atLeast = (m: number, n: number): boolean => major > m || (major === m && minor >= n);
  return {
    version: version.trim(),
    dateTime64: atLeast(20, 1),
    lowCardinality: atLeast(19, 1),
    ttl: atLeast(19, 6),
    dedupToken: atLeast(22, 2),
    skipIndexes: atLeast(20, 1),
  };
}

/** Asks the server its version and returns what it can do. */
export async function detectCapabilities(
  connection: ClickHouseConnection,
  options: { readonly signal?: AbortSignal | undefined } = {},
): Promise<ServerCapabilities> {
  const rows = await connection.query<{ v: string }>('SELECT version() AS v', options);
  return capabilitiesOf(rows[0]?.v ?? '');
}
