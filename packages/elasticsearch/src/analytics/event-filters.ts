import type { EventType } from '@fraiseql/core';

import type { ElasticsearchConnection } from '../client/elasticsearch-connection.js';
import type { EventIndexLayout } from '../setup/event-index-layout.js';

/** Filters shared by the event analytics and search. */
export interface EventFilters {
  /** Only this tenant's events. */
  readonly tenantId?: string;
  readonly entityTypes?: readonly string[];
  readonly eventTypes?: readonly EventType[];
  readonly entityId?: string;
  /** Commit time at or after. */
  readonly from?: Date;
  /** Commit time before. */
  readonly to?: Date;
}

/** Where and how an analytics query runs. */
export interface EventQueryTarget {
  readonly connection: ElasticsearchConnection;
  readonly layout: EventIndexLayout;
  readonly signal?: AbortSignal;
}

/** The `bool.filter` clauses of {@link EventFilters}. */
export function eventFilterClauses(filters: EventFilters): Record<string, unknown>[] {
  const clauses: Record<string, unknown>[] = [];
  if (filters.tenantId !== undefined) clauses.push({ term: { tenant_id: filters.tenantId } });
  if (filters.entityId !== undefined) clauses.push({ term: { entity_id: filters.entityId } });
  if (filters.entityTypes !== undefined && filters.entityTypes.length > 0) {
    clauses.push({ terms: { entity_type: [...filters.entityTypes] } });
  }
  if (filters.eventTypes !== undefined && filters.eventTypes.length > 0) {
    clauses.push({ terms: { event_type: [...filters.eventTypes] } });
  }
  if (filters.from !== undefined || filters.to !== undefined) {
    clauses.push({
      range: {
        '@timestamp': {
          ...(filters.from === undefined ? {} : { gte: filters.from.toISOString() }),
          ...(filters.to === undefined ? {} : { lt: filters.to.toISOString() }),
          format: 'strict_date_optional_time',
        },
      },
    });
  }
  return clauses;
}

/** Runs a search on the event indices; a missing index reads as no events. */
export async function searchEventIndex(
  target: EventQueryTarget,
  body: Record<string, unknown>,
  doing: string,
): Promise<Record<string, unknown>> {
  const answer = await target.connection.request(
    {
      method: 'POST',
      path: `/${encodeURIComponent(target.layout.searchTarget).replace(/%2A/g, '*')}/_search`,
      querystring: { ignore_unavailable: true, allow_no_indices: true },
      body,
    },
    { doing, signal: target.signal },
  );
  return (answer.body ?? {}) as Record<string, unknown>;
}

/** Reads `aggregations.<name>.buckets` defensively. */
export function bucketsOf(parent: unknown, name: string): Record<string, unknown>[] {
  const agg = (parent as Record<string, { buckets?: unknown } | undefined> | null | undefined)?.[
    name
  ];
  return Array.isArray(agg?.buckets) ? (agg.buckets as Record<string, unknown>[]) : [];
}

/** A number field of an aggregation result (`doc_count`, `value`). */
export function numberOf(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** A `max` aggregation on `@timestamp` as a Date, or undefined. */
export function dateOf(agg: unknown): Date | undefined {
  const value = (agg as { value?: unknown } | null | undefined)?.value;
  return typeof value === 'number' ? new Date(value) : undefined;
}
