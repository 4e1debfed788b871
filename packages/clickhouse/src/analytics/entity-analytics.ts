import type { ClickHouseConnection } from '../connection/clickhouse-connection.js';
import type { EventTables } from '../schema/event-tables.js';
import { checkLimit, equalsFilters, rangeLiterals, type TimeRange } from './time-range.js';

/** Query of {@link topEntities}. */
export interface TopEntitiesQuery extends TimeRange {
  readonly entityType?: string | undefined;
  /** @defaultValue 10 */
  readonly limit?: number;
  readonly signal?: AbortSignal | undefined;
}

/** One entity and how many events it had. */
export interface EntityActivity {
  readonly entityType: string;
  readonly entityId: string;
  readonly events: number;
}

/**
 * The entities with the most events in the range, from the raw table; counts distinct event
 * ids, so a re-sent row not yet merged away by the `ReplacingMergeTree` counts once.
 */
export async function topEntities(
  connection: ClickHouseConnection,
  tables: EventTables,
  query: TopEntitiesQuery,
): Promise<EntityActivity[]> {
  const { from, to } = rangeLiterals(query, 'topEntities');
  const limit = checkLimit(query.limit ?? 10, 'topEntities');
  const rows = await connection.query<{ entity_type: string; entity_id: string; events: string }>(
    `SELECT toString(entity_type) AS entity_type, entity_id, uniqExact(event_id) AS events
FROM ${tables.raw}
WHERE timestamp >= ${from} AND timestamp < ${to}${equalsFilters({ entity_type: query.entityType })}
GROUP BY entity_type, entity_id
ORDER BY events DESC, entity_type, entity_id
LIMIT ${String(limit)}`,
    { signal: query.signal },
  );
  return rows.map((row) => ({
    entityType: row.entity_type,
    entityId: row.entity_id,
    events: Number(row.events),
  }));
}

/** Query of {@link uniqueEntities}. */
export interface UniqueEntitiesQuery extends TimeRange {
  readonly entityType?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Distinct entities touched per hour and entity type. */
export interface UniqueEntitiesPoint {
  readonly hour: Date;
  readonly entityType: string;
  /** Approximate distinct count (`uniq`), merged from the states, never summed. */
  readonly entities: number;
}

/** Distinct entities per hour, merged from `uniqState` with `uniqMerge`. */
export async function uniqueEntities(
  connection: ClickHouseConnection,
  tables: EventTables,
  query: UniqueEntitiesQuery,
): Promise<UniqueEntitiesPoint[]> {
  const { from, to } = rangeLiterals(query, 'uniqueEntities');
  const rows = await connection.query<{ hour: string; entity_type: string; entities: string }>(
    `SELECT toUInt32(hour) AS hour, toString(entity_type) AS entity_type, uniqMerge(entities) AS entities
FROM ${tables.entitiesPerHour}
WHERE hour >= ${from} AND hour < ${to}${equalsFilters({ entity_type: query.entityType })}
GROUP BY hour, entity_type
ORDER BY hour, entity_type`,
    { signal: query.signal },
  );
  return rows.map((row) => ({
    hour: new Date(Number(row.hour) * 1000),
    entityType: row.entity_type,
    entities: Number(row.entities),
  }));
}
