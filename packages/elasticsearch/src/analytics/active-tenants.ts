import {
  bucketsOf,
  dateOf,
  eventFilterClauses,
  numberOf,
  searchEventIndex,
  type EventFilters,
  type EventQueryTarget,
} from './event-filters.js';

/** One tenant of {@link activeTenants}. */
export interface ActiveTenant {
  readonly tenantId: string;
  readonly events: number;
  /** Distinct entities changed (approximate: a cardinality aggregation). */
  readonly entities: number;
  readonly lastEventAt: Date | undefined;
}

/** The tenants with events in the filtered range, most events first. */
export async function activeTenants(
  target: EventQueryTarget,
  options: Omit<EventFilters, 'tenantId'> & { readonly size?: number } = {},
): Promise<ActiveTenant[]> {
  const body = {
    size: 0,
    query: { bool: { filter: eventFilterClauses(options) } },
    aggs: {
      tenants: {
        terms: { field: 'tenant_id', size: options.size ?? 20 },
        aggs: {
          entities: { cardinality: { field: 'entity_id' } },
          last: { max: { field: '@timestamp' } },
        },
      },
    },
  };
  const answer = await searchEventIndex(target, body, 'active tenants');
  return bucketsOf(answer.aggregations, 'tenants').map((bucket) => ({
    tenantId: String(bucket.key),
    events: numberOf(bucket.doc_count),
    entities: numberOf((bucket.entities as { value?: unknown } | undefined)?.value),
    lastEventAt: dateOf(bucket.last),
  }));
}
