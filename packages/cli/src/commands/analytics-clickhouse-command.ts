import type * as ClickHousePackage from '@fraiseql/clickhouse';
import type { Command, CommandContext, OptionSpec } from '../command.js';
import { importOptional } from '../context/import-optional.js';
import { openDatabase } from '../context/open-database.js';
import { CliError } from '../errors.js';
import { formatTable } from '../output/format-table.js';
import { print } from '../output/print.js';
import { clearStatus, redrawStatus } from '../output/terminal.js';
import { DATABASE_OPTION } from './common-options.js';

type ClickHouseModule = typeof ClickHousePackage;

const QUERIES =
  'time-series, top-entities, unique-entities, active-tenants, payload-stats, or backfill';

/** Analytics options → the package's request parameters. */
const PARAMS: Readonly<Record<string, string>> = {
  from: 'from',
  to: 'to',
  bucket: 'bucket',
  by: 'by',
  'entity-type': 'entityType',
  'event-type': 'eventType',
  tenant: 'tenantId',
  limit: 'limit',
};

const OPTIONS = {
  url: {
    type: 'string',
    value: 'url',
    description: 'ClickHouse server (default: CLICKHOUSE_URL, then http://127.0.0.1:8123)',
  },
  'clickhouse-database': {
    type: 'string',
    value: 'name',
    description: 'database of the event tables (default: CLICKHOUSE_DATABASE, then default)',
  },
  from: {
    type: 'string',
    value: 'when',
    description:
      'start: an ISO-8601 time or a duration back from now (24h; default 24h); backfill: first change-log sequence',
  },
  to: {
    type: 'string',
    value: 'when',
    description:
      'end: an ISO-8601 time or a duration back from now (default now); backfill: last sequence',
  },
  bucket: { type: 'string', value: 'duration', description: 'time-series bucket (1m, 5m, 1h)' },
  by: {
    type: 'string',
    value: 'dimension',
    description: 'time-series split: event_type, entity_type or tenant_id',
  },
  'entity-type': { type: 'string', value: 'type', description: 'only this entity type' },
  'event-type': { type: 'string', value: 'kind', description: 'only this event kind' },
  tenant: { type: 'string', value: 'id', description: 'only this tenant' },
  limit: { type: 'string', value: 'n', description: 'most rows (top-entities, active-tenants)' },
  ...DATABASE_OPTION,
} as const satisfies Record<string, OptionSpec>;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function loadClickHouse(): Promise<ClickHouseModule> {
  return importOptional(
    () => import('@fraiseql/clickhouse'),
    '@fraiseql/clickhouse',
    'fraiseql analytics clickhouse',
  );
}

function target(context: CommandContext): { url: string; database: string } {
  return {
    url: text(context.values.url) ?? text(context.env.CLICKHOUSE_URL) ?? 'http://127.0.0.1:8123',
    database:
      text(context.values['clickhouse-database']) ??
      text(context.env.CLICKHOUSE_DATABASE) ??
      'default',
  };
}

/** Maps a ClickHouse failure: bad input is a usage error, an unreachable server says so. */
function failure(clickhouse: ClickHouseModule, url: string, error: unknown): CliError {
  if (error instanceof CliError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (clickhouse.isClickHouseError(error, 'INVALID_ARGUMENT')) {
    return new CliError('USAGE', message, { cause: error });
  }
  if (clickhouse.isClickHouseError(error, 'UNAVAILABLE')) {
    return new CliError(
      'SERVICE_UNREACHABLE',
      `cannot reach ClickHouse at ${url}: ${message} (check it runs, or pass --url)`,
      { cause: error },
    );
  }
  return new CliError('FAILED', message, { cause: error });
}

async function runQuery(context: CommandContext, kind: string): Promise<number> {
  const clickhouse = await loadClickHouse();
  const { url, database } = target(context);
  if (context.values.database !== undefined) {
    throw new CliError('USAGE', '--database (PostgreSQL) is only for backfill');
  }
  const params: Record<string, string> = {};
  for (const [option, param] of Object.entries(PARAMS)) {
    const value = text(context.values[option]);
    if (value !== undefined) params[param] = value;
  }
  let analytics: ClickHousePackage.ClickHouseAnalytics | undefined;
  try {
    analytics = clickhouse.createClickHouseAnalytics({ url, database });
    const rows = await clickhouse.runClickHouseAnalyticsRequest(analytics, kind, params, {
      signal: context.signal,
    });
    print(context, { kind, rows }, () => tableOf(rows));
    return 0;
  } catch (error) {
    throw failure(clickhouse, url, error);
  } finally {
    await analytics?.close();
  }
}

function tableOf(rows: readonly unknown[]): string {
  if (rows.length === 0) return 'no rows\n';
  const header = Object.keys(rows[0] as object);
  const cell = (value: unknown) => (value instanceof Date ? value.toISOString() : value);
  return `${formatTable(
    header,
    rows.map((row) => header.map((key) => cell((row as Record<string, unknown>)[key]))),
  )}\n`;
}

async function runBackfill(context: CommandContext): Promise<number> {
  const bounds = ['from', 'to'].map((name) => {
    const value = text(context.values[name]);
    if (value === undefined || !/^\d+$/.test(value)) {
      throw new CliError(
        'USAGE',
        `backfill needs --${name} <sequence>: a change-log sequence number such as 1042, got ${JSON.stringify(value ?? null)}`,
      );
    }
    return BigInt(value);
  }) as [bigint, bigint];
  for (const option of Object.keys(PARAMS)) {
    if (option !== 'from' && option !== 'to' && context.values[option] !== undefined) {
      throw new CliError('USAGE', `--${option} is not an option of backfill`);
    }
  }
  const clickhouse = await loadClickHouse();
  const { url, database } = target(context);
  const db = await openDatabase(context);
  let sink: ClickHousePackage.ClickHouseSink | undefined;
  try {
    const connection = clickhouse.createHttpConnection({ url });
    try {
      // One answer first, so an unreachable server fails instead of waiting forever.
      await connection.ping({ signal: context.signal });
      sink = await clickhouse.createClickHouseSink({
        connection,
        database,
        signal: context.signal,
      });
      const [from, to] = bounds;
      const result = await clickhouse.backfillFromChangeLog(sink, db, {
        from,
        to,
        signal: context.signal,
        onProgress: ({ events, lastSeq }) => {
          if (context.json) return;
          const line = `backfill: ${String(events)} events stored, up to sequence ${String(lastSeq)} of ${String(to)}`;
          if (context.terminal.interactive) redrawStatus(context.terminal, line);
          else context.terminal.err(`${line}\n`);
        },
      });
      if (!context.json && context.terminal.interactive) clearStatus(context.terminal);
      print(
        context,
        { events: result.events, lastSeq: result.lastSeq, database },
        () =>
          `${String(result.events)} events from the change log (sequences ${String(from)}–${String(to)}) stored in ClickHouse ${database}\n`,
      );
      return 0;
    } finally {
      await sink?.close();
      await connection.close();
    }
  } catch (error) {
    throw failure(clickhouse, url, error);
  } finally {
    await db.close();
  }
}

/** `fraiseql analytics clickhouse <query>`: the ClickHouse sink's analytics, and backfill. */
export const analyticsClickHouseCommand: Command = {
  path: ['analytics', 'clickhouse'],
  summary: 'analytics over the ClickHouse event tables, or a backfill from the change log',
  details: `Queries: ${QUERIES}. The analytics read the aggregate tables the ClickHouse sink writes; backfill replays change-log sequences --from..--to (PostgreSQL from --database or DATABASE_URL) into ClickHouse and is safe to re-run (stored events are skipped).`,
  args: [{ name: 'query', description: QUERIES }],
  options: OPTIONS,
  examples: [
    'fraiseql analytics clickhouse time-series --from 6h --bucket 1h --by event_type',
    'fraiseql analytics clickhouse top-entities --entity-type orders --limit 5 --json',
    'fraiseql analytics clickhouse backfill --from 1 --to 50000 --database postgres://localhost/app',
  ],
  async run(context) {
    const query = context.positionals[0] ?? '';
    if (query === 'backfill') return runBackfill(context);
    if (!QUERIES.split(/, (?:or )?/).includes(query)) {
      throw new CliError('USAGE', `unknown query ${JSON.stringify(query)}: expected ${QUERIES}`);
    }
    return runQuery(context, query);
  },
};
