import type { EventType, JsonValue } from '@fraiseql/core';

import {
  eventFilterClauses,
  numberOf,
  searchEventIndex,
  type EventFilters,
  type EventQueryTarget,
} from './event-filters.js';

/** Options of {@link searchEvents}. */
export interface SearchEventsOptions extends EventFilters {
  /** Words to find in the event data (simple query syntax: `"exact phrase"`, `-not`, `a | b`). */
  readonly text?: string;
  /** @defaultValue `20` */
  readonly size?: number;
  /** @defaultValue `0` */
  readonly offset?: number;
}

/** One event found by {@link searchEvents}. */
export interface EventHit {
  readonly eventId: string;
  readonly seq: string;
  readonly eventType: EventType;
  readonly entityType: string;
  readonly entityId: string;
  readonly tenantId: string | undefined;
  readonly timestamp: Date;
  readonly score: number | undefined;
  readonly data: JsonValue;
  /** Fragments of the data's text with the matches wrapped in `<em>`. */
  readonly highlights: readonly string[];
}

/** What {@link searchEvents} returns. */
export interface EventSearchResult {
  /** Matching events (a lower bound when `totalRelation` is `gte`). */
  readonly total: number;
  readonly totalRelation: 'eq' | 'gte';
  readonly hits: readonly EventHit[];
}

/**
 * Full-text search over the event history with filters and highlighting; newest first when
 * there is no text, best match first otherwise.
 */
export async function searchEvents(
  target: EventQueryTarget,
  options: SearchEventsOptions = {},
): Promise<EventSearchResult> {
  const text = options.text?.trim() ?? '';
  const body = {
    size: Math.min(Math.max(options.size ?? 20, 0), 1000),
    from: Math.max(options.offset ?? 0, 0),
    track_total_hits: true,
    query: {
      bool: {
        filter: eventFilterClauses(options),
        ...(text === ''
          ? {}
          : {
              must: [
                {
                  simple_query_string: {
                    query: text,
                    fields: ['search_text', 'entity_id', 'entity_type'],
                    default_operator: 'and',
                    lenient: true,
                  },
                },
              ],
            }),
      },
    },
    sort:
      text === ''
        ? [{ '@timestamp': 'desc' }, { seq: 'desc' }]
        : ['_score', { '@timestamp': 'desc' }],
    ...(text === '' ? {} : { highlight: { fields: { search_text: {} } } }),
  };
  const answer = await searchEventIndex(target, body, 'search events');
  const hits = (answer.hits ?? {}) as {
    total?: { value?: unknown; relation?: unknown };
    hits?: unknown;
  };
  const list = Array.isArray(hits.hits) ? (hits.hits as Record<string, unknown>[]) : [];
  return {
    total: numberOf(hits.total?.value),
    totalRelation: hits.total?.relation === 'gte' ? 'gte' : 'eq',
    hits: list.map((hit) => {
      const source = (hit._source ?? {}) as Record<string, unknown>;
      const highlight = (hit.highlight ?? {}) as { search_text?: unknown };
      return {
        eventId: String(source.event_id ?? hit._id),
        seq: textOf(source.seq),
        eventType: String(source.event_type) as EventType,
        entityType: textOf(source.entity_type),
        entityId: textOf(source.entity_id),
        tenantId: typeof source.tenant_id === 'string' ? source.tenant_id : undefined,
        timestamp: new Date(String(source['@timestamp'])),
        score: typeof hit._score === 'number' ? hit._score : undefined,
        data: (source.data ?? null) as JsonValue,
        highlights: Array.isArray(highlight.search_text) ? highlight.search_text.map(String) : [],
      };
    }),
  };
}

function textOf(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}
