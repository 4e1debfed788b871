import { formatTable } from '../output/format-table.js';

interface Hit {
  readonly timestamp: Date;
  readonly eventType: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly tenantId: string | undefined;
  readonly highlights: readonly string[];
}

/** Search hits as a table (time, kind, entity, tenant, first highlight) with the total. */
export function formatHits(result: unknown): string {
  const { total, hits } = result as { total: number; hits: readonly Hit[] };
  const rows = hits.map((hit) => [
    hit.timestamp.toISOString(),
    hit.eventType,
    `${hit.entityType}/${hit.entityId}`,
    hit.tenantId ?? '',
    (hit.highlights[0] ?? '').replace(/<\/?em>/g, '*'),
  ]);
  const table =
    rows.length === 0
      ? ''
      : `${formatTable(['time', 'kind', 'entity', 'tenant', 'match'], rows)}\n`;
  return `${table}${String(total)} event(s) found\n`;
}

/** Analytics rows (objects) as a table; nested objects as JSON. */
export function formatRows(result: unknown): string {
  const rows = result as readonly Record<string, unknown>[];
  if (rows.length === 0) return 'no rows\n';
  const header = Object.keys(rows[0] ?? {});
  const cell = (value: unknown) =>
    value instanceof Date
      ? value.toISOString()
      : typeof value === 'object' && value !== null
        ? JSON.stringify(value)
        : value;
  return `${formatTable(
    header,
    rows.map((row) => header.map((key) => cell(row[key]))),
  )}\n`;
}
