import type { ClickHouseConnection } from '../connection/clickhouse-connection.js';
import type { EventTables } from '../schema/event-tables.js';
import { checkLimit, equalsFilters, rangeLiterals, type TimeRange } from './time-range.js';

/** Query of {@link activeTenants}. */
export interface ActiveTenantsQuery extends TimeRange {
  /** @defaultValue 10 */
  readonly limit?: number;
  readonly signal?: AbortSignal | undefined;
}

/** A tenant's activity over the range, by event kind. */
export interface TenantActivity {
  readonly tenantId: string;
  readonly events: number;
  readonly inserts: number;
  readonly updates: number;
  readonly deletes: number;
  readonly customs: number;
}

/**
 * The most active tenants over the days the range touches, from the per-tenant daily
 * aggregate (events without a tenant are left out).
 */
export async function activeTenants(
  connection: ClickHouseConnection,
  tables: EventTables,
  query: ActiveTenantsQuery,
): Promise<TenantActivity[]> {
  const { from, to } = rangeLiterals(query, 'activeTenants');
  const limit = checkLimit(query.limit ?? 10, 'activeTenants');
  const rows = await connection.query<Record<string, string>>(
    `SELECT toString(tenant_id) AS tenant_id, sum(events) AS events, sum(inserts) AS inserts,
  sum(updates) AS updates, sum(deletes) AS deletes, sum(customs) AS customs
FROM ${tables.tenantDaily}
WHERE day >= toDate(${from}) AND day <= toDate(${to} - 1) AND tenant_id != ''
GROUP BY tenant_id
ORDER BY events DESC, tenant_id
LIMIT ${String(limit)}`,
    { signal: query.signal },
  );
  return rows.map((row) => ({
    tenantId: row.tenant_id ?? '',
    events: Number(row.events),
    inserts: Number(row.inserts),
    updates: Number(row.updates),
    deletes: Number(row.deletes),
    customs: Number(row.customs),
  }));
}

/** Query of {@link payloadStats}. */
export interface PayloadStatsQuery extends TimeRange {
  readonly entityType?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Payload sizes of an entity type's events over the range. */
export interface PayloadStats {
  readonly entityType: string;
  readonly events: number;
  /** Mean `data` size in bytes, merged from `avgState` (never an average of averages). */
  readonly avgBytes: number;
  readonly maxBytes: number;
}

/** Payload size statistics per entity type, merged from the hourly `-State` columns. */
export async function payloadStats(
  connection: ClickHouseConnection,
  tables: EventTables,
  query: PayloadStatsQuery,
): Promise<PayloadStats[]> {
  const { from, to } = rangeLiterals(query, 'payloadStats');
  const rows = await connection.query<Record<string, string | number>>(
    `SELECT toString(entity_type) AS entity_type, countMerge(events) AS events,
  avgMerge(avg_bytes) AS avg_bytes, maxMerge(max_bytes) AS max_bytes
FROM ${tables.payloadHourly}
WHERE hour >= ${from} AND hour < ${to}${equalsFilters({ entity_type: query.entityType })}
GROUP BY entity_type
ORDER BY entity_type`,
    { signal: query.signal },
  );
  return rows.map((row) => ({
    entityType: String(row.entity_type),
    events: Number(row.events),
    avgBytes: Number(row.avg_bytes),
    maxBytes: Number(row.max_bytes),
  }));
}
