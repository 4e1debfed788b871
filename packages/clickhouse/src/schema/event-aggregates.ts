import type { AGGREGATES, EventTables } from './event-tables.js';
import type { ServerCapabilities } from './server-capabilities.js';

/** The event kinds events really carry (DESIGN.md §3), as an Enum column type. */
export const EVENT_KIND_ENUM = "Enum8('INSERT' = 1, 'UPDATE' = 2, 'DELETE' = 3, 'CUSTOM' = 4)";

/** A named expression of an aggregate's SELECT. */
export interface AggregateColumn {
  readonly name: string;
  /** Expression over the raw table's columns. */
  readonly expr: string;
}

/**
 * One real-time aggregate: its target table, its materialized view and the SELECT the view runs
 * over each block inserted into the raw table. The migrations create it from this; the sink
 * re-runs the same SELECT over the raw table to repair a view that missed a block.
 */
export interface AggregateSpec {
  readonly role: keyof typeof AGGREGATES;
  readonly table: string;
  readonly view: string;
  /** Bucket width of the first key column. */
  readonly unit: 'minute' | 'hour' | 'day';
  /** GROUP BY columns, the time bucket first; also the target's ORDER BY. */
  readonly keys: readonly AggregateColumn[];
  readonly values: readonly AggregateColumn[];
  /** Target column definitions. */
  readonly columns: string;
  readonly engine: string;
  readonly partition: string;
  /**
   * Reads, per key, how many events the target holds (`sum(events)`); `undefined` where adding
   * a block twice changes nothing (`uniqState`), so a repair can always re-add it.
   */
  readonly storedEvents: string | undefined;
}

/** The SELECT list of an aggregate (keys, then values). */
export function aggregateSelect(spec: AggregateSpec): string {
  const column = ({ name, expr }: AggregateColumn): string =>
    expr === name ? name : `${expr} AS ${name}`;
  return `SELECT ${[...spec.keys, ...spec.values].map(column).join(', ')}`;
}

/** The aggregates of `tables` on a server with `caps`. */
export function eventAggregates(tables: EventTables, caps: ServerCapabilities): AggregateSpec[] {
  const lc = (type: string): string => (caps.lowCardinality ? `LowCardinality(${type})` : type);
  // Whole-second commit time for bucketing; DateTime64 converts explicitly so every server
  // computes the same bucket type.
  const at = caps.dateTime64 ? "toDateTime(timestamp, 'UTC')" : 'timestamp';
  const plain = (name: string): AggregateColumn => ({ name, expr: name });
  const counter = (
    role: 'perMinute' | 'perHour',
    bucket: 'minute' | 'hour',
    fn: string,
  ): AggregateSpec => ({
    role,
    table: tables[role],
    view: tables.view(role),
    unit: bucket,
    keys: [
      { name: bucket, expr: `${fn}(${at})` },
      plain('entity_type'),
      plain('event_type'),
      plain('tenant_id'),
    ],
    values: [{ name: 'events', expr: 'count()' }],
    columns: `  ${bucket} DateTime('UTC'),\n  entity_type ${lc('String')},\n  event_type ${EVENT_KIND_ENUM},\n  tenant_id ${lc('String')},\n  events UInt64`,
    engine: 'SummingMergeTree(events)',
    partition: `toYYYYMM(${bucket})`,
    storedEvents: 'sum(events)',
  });
  return [
    counter('perMinute', 'minute', 'toStartOfMinute'),
    counter('perHour', 'hour', 'toStartOfHour'),
    {
      role: 'entitiesPerHour',
      table: tables.entitiesPerHour,
      view: tables.view('entitiesPerHour'),
      unit: 'hour',
      keys: [{ name: 'hour', expr: `toStartOfHour(${at})` }, plain('entity_type')],
      values: [{ name: 'entities', expr: 'uniqState(entity_id)' }],
      columns: `  hour DateTime('UTC'),\n  entity_type ${lc('String')},\n  entities AggregateFunction(uniq, String)`,
      engine: 'AggregatingMergeTree',
      partition: 'toYYYYMM(hour)',
      storedEvents: undefined,
    },
    {
      role: 'tenantDaily',
      table: tables.tenantDaily,
      view: tables.view('tenantDaily'),
      unit: 'day',
      keys: [{ name: 'day', expr: `toDate(${at})` }, plain('tenant_id')],
      values: [
        { name: 'events', expr: 'count()' },
        { name: 'inserts', expr: "countIf(event_type = 'INSERT')" },
        { name: 'updates', expr: "countIf(event_type = 'UPDATE')" },
        { name: 'deletes', expr: "countIf(event_type = 'DELETE')" },
        { name: 'customs', expr: "countIf(event_type = 'CUSTOM')" },
      ],
      columns: `  day Date,\n  tenant_id ${lc('String')},\n  events UInt64,\n  inserts UInt64,\n  updates UInt64,\n  deletes UInt64,\n  customs UInt64`,
      engine: 'SummingMergeTree((events, inserts, updates, deletes, customs))',
      partition: 'toYYYYMM(day)',
      storedEvents: 'sum(events)',
    },
    {
      role: 'payloadHourly',
      table: tables.payloadHourly,
      view: tables.view('payloadHourly'),
      unit: 'hour',
      keys: [{ name: 'hour', expr: `toStartOfHour(${at})` }, plain('entity_type')],
      values: [
        { name: 'events', expr: 'countState()' },
        { name: 'avg_bytes', expr: 'avgState(payload_bytes)' },
        { name: 'max_bytes', expr: 'maxState(payload_bytes)' },
      ],
      columns: `  hour DateTime('UTC'),\n  entity_type ${lc('String')},\n  events AggregateFunction(count),\n  avg_bytes AggregateFunction(avg, UInt32),\n  max_bytes AggregateFunction(max, UInt32)`,
      engine: 'AggregatingMergeTree',
      partition: 'toYYYYMM(hour)',
      storedEvents: 'countMerge(events)',
    },
  ];
}
