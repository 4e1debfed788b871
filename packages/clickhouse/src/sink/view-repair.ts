import type { ClickHouseConnection } from '../connection/clickhouse-connection.js';
import { aggregateSelect, type AggregateSpec } from '../schema/event-aggregates.js';
import type { EventTables } from '../schema/event-tables.js';
import { quoteString } from '../schema/identifiers.js';
import type { ServerCapabilities } from '../schema/server-capabilities.js';
import { formatTimestamp } from './encode-row.js';
import type { SinkRow } from './sink-row.js';

const UNIT_MICROS = { minute: 60_000_000n, hour: 3_600_000_000n, day: 86_400_000_000n } as const;
// An IN list of a whole batch of event ids is longer than the default 256 KiB query.
const LONG_QUERY = { max_query_size: 64 * 1024 * 1024 } as const;

/**
 * Repairs the aggregates for rows found already in the raw table when a batch is (re)sent.
 *
 * Such rows were written by an earlier insert whose outcome the sink never learnt: the process
 * crashed before acknowledging, or the server stopped (or the connection broke) after the raw
 * table took the block. In the second case the server may have stopped before pushing the block
 * to some materialized views, and skipping the stored rows would leave those views one block
 * short for good. A view gets a block whole or not at all, so for each view this compares, per
 * group key the rows touch, what the raw table holds (`FINAL`: each event once) with what the
 * view holds: when every key is short by at least the rows' own share, the view missed them and
 * the view's SELECT is run over exactly those rows to add them; otherwise it already has them.
 * Views whose aggregate absorbs a repeat (`uniqState`) are always re-added.
 *
 * Returns the views repaired.
 */
export async function repairViews(
  connection: ClickHouseConnection,
  tables: EventTables,
  caps: ServerCapabilities,
  specs: readonly AggregateSpec[],
  rows: readonly SinkRow[],
): Promise<string[]> {
  if (rows.length === 0) return [];
  let minT = rows[0]?.timestampMicros ?? 0n;
  let maxT = minT;
  for (const row of rows) {
    if (row.timestampMicros < minT) minT = row.timestampMicros;
    if (row.timestampMicros > maxT) maxT = row.timestampMicros;
  }
  const ids = `(${rows.map((row) => quoteString(row.eventId)).join(', ')})`;
  const repaired: string[] = [];
  for (const spec of specs) {
    const width = UNIT_MICROS[spec.unit];
    const from = floorTo(minT, width);
    const to = floorTo(maxT, width) + width;
    const rawWindow = `timestamp >= ${timeLiteral(from, caps)} AND timestamp < ${timeLiteral(to, caps)}`;
    const keyNames = spec.keys.map((key) => key.name);
    const keyExprs = spec.keys.map((key) => `${key.expr} AS ${key.name}`).join(', ');
    if (spec.storedEvents !== undefined && !(await missing())) continue;
    await connection.command(
      `INSERT INTO ${spec.table} (${[...keyNames, ...spec.values.map((v) => v.name)].join(', ')})
${aggregateSelect(spec)}
FROM ${tables.raw} FINAL
WHERE ${rawWindow} AND event_id IN ${ids}
GROUP BY ${keyNames.join(', ')}`,
      { settings: LONG_QUERY },
    );
    repaired.push(spec.view);

    async function missing(): Promise<boolean> {
      const bucket = spec.keys[0]?.name ?? '';
      const bucketLiteral = (micros: bigint): string =>
        spec.unit === 'day'
          ? `toDate(${quoteString(formatTimestamp(micros, false).slice(0, 10))})`
          : `toDateTime(${quoteString(formatTimestamp(micros, false))}, 'UTC')`;
      const inRaw = await connection.query(
        `SELECT ${keyExprs}, count() AS stored, countIf(event_id IN ${ids}) AS resent
FROM ${tables.raw} FINAL
WHERE ${rawWindow}
GROUP BY ${keyNames.join(', ')}
HAVING resent > 0`,
        { settings: LONG_QUERY },
      );
      const inView = await connection.query(
        `SELECT ${keyNames.join(', ')}, ${spec.storedEvents ?? 'count()'} AS stored
FROM ${spec.table}
WHERE ${bucket} >= ${bucketLiteral(from)} AND ${bucket} < ${bucketLiteral(to)}
GROUP BY ${keyNames.join(', ')}`,
      );
      const keyOf = (row: Record<string, unknown>): string =>
        JSON.stringify(keyNames.map((name) => row[name]));
      const viewed = new Map(inView.map((row) => [keyOf(row), Number(row.stored)]));
      return (
        inRaw.length > 0 &&
        inRaw.every(
          (row) =>
            Number(row.stored) - (viewed.get(keyOf(row)) ?? 0) >= Number(row.resent) &&
            Number(row.resent) > 0,
        )
      );
    }
  }
  return repaired;
}

function floorTo(micros: bigint, width: bigint): bigint {
  const rest = ((micros % width) + width) % width;
  return micros - rest;
}

function timeLiteral(micros: bigint, caps: ServerCapabilities): string {
  return caps.dateTime64
    ? `toDateTime64(${quoteString(formatTimestamp(micros, true))}, 6, 'UTC')`
    : `toDateTime(${quoteString(formatTimestamp(micros, false))}, 'UTC')`;
}
