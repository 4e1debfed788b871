import {
  bucketsOf,
  dateOf,
  eventFilterClauses,
  numberOf,
  searchEventIndex,
  type EventFilters,
  type EventQueryTarget,
} from './event-filters.js';

/** One entity of {@link topEntities}. */
export interface TopEntity {
  readonly entityType: string;
  readonly entityId: string;
  readonly events: number;
  readonly lastEventAt: Date | undefined;
}

/** The entities with the most events (per entity type, then merged), most first. */
export async function topEntities(
  target: EventQueryTarget,
  options: EventFilters & { readonly size?: number } = {},
): Promise<TopEntity[]> {
  const size = options.size ?? 10;
  const body = {
    size: 0,
    query: { bool: { filter: eventFilterClauses(options) } },
    aggs: {
      by_type: {
        terms: { field: 'entity_type', size: 50 },
        aggs: {
          by_id: {
            terms: { field: 'entity_id', size },
            aggs: { last: { max: { field: '@timestamp' } } },
          },
        },
      },
    },
  };
  const answer = await searchEventIndex(target, body, 'top entities');
  const entities: TopEntity[] = [];
  for (const type of bucketsOf(answer.aggregations, 'by_type')) {
    for (const entity of bucketsOf(type, 'by_id')) {
      entities.push({
        entityType: String(type.key),
        entityId: String(entity.key),
        events: numberOf(entity.doc_count),
        lastEventAt: dateOf(entity.last),
      });
    }
  }
  return entities.sort((a, b) => b.events - a.events).slice(0, size);
}
