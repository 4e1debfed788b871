import { quoteIdentifier } from './identifiers.js';

/** The qualified, quoted names of every table and view the sink owns. */
export interface EventTables {
  readonly database: string;
  readonly raw: string;
  readonly deadLetter: string;
  readonly migrations: string;
  readonly perMinute: string;
  readonly perHour: string;
  readonly entitiesPerHour: string;
  readonly tenantDaily: string;
  readonly payloadHourly: string;
  /** Materialized view name for an aggregate table (`<table>_mv`). */
  view(table: keyof typeof AGGREGATES): string;
  /** Unquoted names, for `system.parts` and `system.tables` lookups. */
  readonly plain: { readonly database: string; readonly raw: string };
}

/** The aggregate tables, keyed by their role. */
export const AGGREGATES = {
  perMinute: 'per_minute',
  perHour: 'per_hour',
  entitiesPerHour: 'entities_per_hour',
  tenantDaily: 'tenant_daily',
  payloadHourly: 'payload_hourly',
} as const;

/**
 * The names for `database` and a table `prefix` (`fraiseql_events` gives
 * `fraiseql_events`, `fraiseql_events_per_minute`, …).
 *
 * @throws {ClickHouseError} `INVALID_ARGUMENT` when either is not a plain identifier
 */
export function eventTables(database: string, prefix: string): EventTables {
  const db = quoteIdentifier(database, 'database');
  quoteIdentifier(prefix, 'table');
  const name = (suffix: string): string =>
    `${db}.${quoteIdentifier(suffix === '' ? prefix : `${prefix}_${suffix}`, 'table')}`;
  return {
    database: db,
    raw: name(''),
    deadLetter: name('dead_letter'),
    migrations: name('migrations'),
    perMinute: name(AGGREGATES.perMinute),
    perHour: name(AGGREGATES.perHour),
    entitiesPerHour: name(AGGREGATES.entitiesPerHour),
    tenantDaily: name(AGGREGATES.tenantDaily),
    payloadHourly: name(AGGREGATES.payloadHourly),
    view: (table) => name(`${AGGREGATES[table]}_mv`),
    plain: { database, raw: prefix },
  };
}
