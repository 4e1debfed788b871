import {
  EVENT_KIND_ENUM,
  aggregateSelect,
  eventAggregates,
  type AggregateSpec,
} from './event-aggregates.js';
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

export { EVENT_KIND_ENUM };

function keyList(spec: AggregateSpec): string {
  return spec.keys.map((key) => key.name).join(', ');
}

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
  const ttl =
    caps.ttl && options.ttlDays !== undefined
      ? `\nTTL toDateTime(timestamp) + INTERVAL ${String(Math.floor(options.ttlDays))} DAY`
      : '';
  const settings = caps.dedupToken ? '\nSETTINGS non_replicated_deduplication_window = 1000' : '';
  const skipIndex = caps.skipIndexes
    ? ',\n  INDEX event_id_bloom event_id TYPE bloom_filter GRANULARITY 4'
    : '';
  const aggregate = (spec: AggregateSpec): string[] => [
    // The dedup window on the view targets too: a re-sent block is dropped there as well.
    `CREATE TABLE IF NOT EXISTS ${spec.table} (\n${spec.columns}\n) ENGINE = ${spec.engine}\nPARTITION BY ${spec.partition}\nORDER BY (${keyList(spec)})${settings}`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${spec.view} TO ${spec.table} AS\n${aggregateSelect(spec)}\nFROM ${tables.raw}\nGROUP BY ${keyList(spec)}`,
  ];

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
      statements: eventAggregates(tables, caps).flatMap(aggregate),
    },
  ];
}
