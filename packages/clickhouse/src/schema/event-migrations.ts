import type { EventTables } from './event-tables.js';
import type { ServerCapabilities } from './server-capabilities.js';

/** One versioned step of the ClickHouse schema: idempotent statements run in order. */
export interface ClickHouseMigration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

/** Options that shape the DDL. */
export interface EventSchemaOptions {
  /**
   * Raw events older than this many days are dropped by a table TTL, on servers that have TTL
   * (19.6+); `undefined` keeps them.
   */
  readonly ttlDays?: number | undefined;
}

/** The event kinds events really carry (DESIGN.md §3), as the raw table's Enum. */
export const EVENT_KIND_ENUM = "Enum8('INSERT' = 1, 'UPDATE' = 2, 'DELETE' = 3, 'CUSTOM' = 4)";

/**
 * The migrations for `tables` on a server with `caps`. The statements differ by server version
 * (DateTime64, LowCardinality, TTL, dedup window, skip index on the modern path; DateTime and
 * plain types on old servers) but the column names and the queries over them do not.
 */
export function eventMigrations(
  tables: EventTables,
  caps: ServerCapabilities,
  options: EventSchemaOptions = {},
): ClickHouseMigration[] {
  const lc = (type: string): string => (caps.lowCardinality ? `LowCardinality(${type})` : type);
  const time = caps.dateTime64 ? "DateTime64(6, 'UTC')" : "DateTime('UTC')";
  // Whole-second commit time for bucketing; DateTime64 converts explicitly so every server
  // computes the same bucket type.
  const at = caps.dateTime64 ? "toDateTime(timestamp, 'UTC')" : 'timestamp';
  const ttl =
    caps.ttl && options.ttlDays !== undefined
      ? `\nTTL toDateTime(timestamp) + INTERVAL ${String(Math.floor(options.ttlDays))} DAY`
      : '';
  const settings = caps.dedupToken ? '\nSETTINGS non_replicated_deduplication_window = 1000' : '';
  const skipIndex = caps.skipIndexes
    ? ',\n  INDEX event_id_bloom event_id TYPE bloom_filter GRANULARITY 4'
    : '';
  const aggregate = (
    table: string,
    view: string,
    columns: string,
    engine: string,
    partition: string,
    key: string,
    select: string,
  ): string[] => [
    // The dedup window on the view targets too: a re-sent block is dropped there as well.
    `CREATE TABLE IF NOT EXISTS ${table} (\n${columns}\n) ENGINE = ${engine}\nPARTITION BY ${partition}\nORDER BY (${key})${settings}`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${view} TO ${table} AS\n${select}\nFROM ${tables.raw}\nGROUP BY ${key}`,
  ];
  const counts = (bucket: string, fn: string): string =>
    `SELECT ${fn}(${at}) AS ${bucket}, entity_type, event_type, tenant_id, count() AS events`;

  return [
    {
      version: 1,
      name: 'raw events and dead letters',
      statements: [
        `CREATE TABLE IF NOT EXISTS ${tables.raw} (
  event_id String,
  seq UInt64,
  event_type ${EVENT_KIND_ENUM},
  entity_type ${lc('String')},
  entity_id String,
  tenant_id ${lc('String')},
  user_id String,
  timestamp ${time},
  data String,
  payload_bytes UInt32,
  inserted_at DateTime('UTC') DEFAULT now()${skipIndex}
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (entity_type, timestamp, entity_id, event_id)${ttl}${settings}`,
        `CREATE TABLE IF NOT EXISTS ${tables.deadLetter} (
  received_at DateTime('UTC') DEFAULT now(),
  event_id String,
  seq UInt64,
  error String,
  event String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (received_at, event_id)`,
      ],
    },
    {
      version: 2,
      name: 'real-time aggregates',
      statements: [
        ...aggregate(
          tables.perMinute,
          tables.view('perMinute'),
          `  minute DateTime('UTC'),\n  entity_type ${lc('String')},\n  event_type ${EVENT_KIND_ENUM},\n  tenant_id ${lc('String')},\n  events UInt64`,
          'SummingMergeTree(events)',
          'toYYYYMM(minute)',
          'minute, entity_type, event_type, tenant_id',
          counts('minute', 'toStartOfMinute'),
        ),
        ...aggregate(
          tables.perHour,
          tables.view('perHour'),
          `  hour DateTime('UTC'),\n  entity_type ${lc('String')},\n  event_type ${EVENT_KIND_ENUM},\n  tenant_id ${lc('String')},\n  events UInt64`,
          'SummingMergeTree(events)',
          'toYYYYMM(hour)',
          'hour, entity_type, event_type, tenant_id',
          counts('hour', 'toStartOfHour'),
        ),
        ...aggregate(
          tables.entitiesPerHour,
          tables.view('entitiesPerHour'),
          `  hour DateTime('UTC'),\n  entity_type ${lc('String')},\n  entities AggregateFunction(uniq, String)`,
          'AggregatingMergeTree',
          'toYYYYMM(hour)',
          'hour, entity_type',
          `SELECT toStartOfHour(${at}) AS hour, entity_type, uniqState(entity_id) AS entities`,
        ),
        ...aggregate(
          tables.tenantDaily,
          tables.view('tenantDaily'),
          `  day Date,\n  tenant_id ${lc('String')},\n  events UInt64,\n  inserts UInt64,\n  updates UInt64,\n  deletes UInt64,\n  customs UInt64`,
          'SummingMergeTree((events, inserts, updates, deletes, customs))',
          'toYYYYMM(day)',
          'day, tenant_id',
          `SELECT toDate(${at}) AS day, tenant_id, count() AS events,
  countIf(event_type = 'INSERT') AS inserts, countIf(event_type = 'UPDATE') AS updates,
  countIf(event_type = 'DELETE') AS deletes, countIf(event_type = 'CUSTOM') AS customs`,
        ),
        ...aggregate(
          tables.payloadHourly,
          tables.view('payloadHourly'),
          `  hour DateTime('UTC'),\n  entity_type ${lc('String')},\n  events AggregateFunction(count),\n  avg_bytes AggregateFunction(avg, UInt32),\n  max_bytes AggregateFunction(max, UInt32)`,
          'AggregatingMergeTree',
          'toYYYYMM(hour)',
          'hour, entity_type',
          `SELECT toStartOfHour(${at}) AS hour, entity_type, countState() AS events,
  avgState(payload_bytes) AS avg_bytes, maxState(payload_bytes) AS max_bytes`,
        ),
      ],
    },
  ];
}
