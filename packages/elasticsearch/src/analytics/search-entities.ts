import type { JsonObject } from '@fraiseql/core';

import type { ElasticsearchConnection } from '../client/elasticsearch-connection.js';
import { numberOf } from './event-filters.js';

/** Options of {@link searchEntities}. */
export interface SearchEntitiesOptions {
  /** Index (or alias, or pattern) of the entity documents. */
  readonly index: string;
  /** Words to find (simple query syntax); every document when absent. */
  readonly text?: string;
  /** Metadata field the `search` action writes. @defaultValue `'fraiseql'` */
  readonly metadataField?: string;
  readonly tenantId?: string;
  readonly entityType?: string;
  /** @defaultValue `20` */
  readonly size?: number;
  /** @defaultValue `0` */
  readonly offset?: number;
  readonly signal?: AbortSignal;
}

/** One document found by {@link searchEntities}. */
export interface EntityHit {
  /** `_id`: the entity id. */
  readonly id: string;
  readonly score: number | undefined;
  /** `_version`: the `seq` of the event that wrote it. */
  readonly version: number | undefined;
  readonly document: JsonObject;
  /** Per field, fragments with the matches wrapped in `<em>`. */
  readonly highlights: Readonly<Record<string, readonly string[]>>;
}

/** What {@link searchEntities} returns. */
export interface EntitySearchResult {
  readonly total: number;
  readonly hits: readonly EntityHit[];
}

/** Full-text search over the entity documents the `search` action keeps. */
export async function searchEntities(
  connection: ElasticsearchConnection,
  options: SearchEntitiesOptions,
): Promise<EntitySearchResult> {
  const meta = options.metadataField ?? 'fraiseql';
  const text = options.text?.trim() ?? '';
  const filter: Record<string, unknown>[] = [];
  if (options.tenantId !== undefined)
    filter.push({ term: { [`${meta}.tenant_id.keyword`]: options.tenantId } });
  if (options.entityType !== undefined) {
    filter.push({ term: { [`${meta}.entity_type.keyword`]: options.entityType } });
  }
  const body = {
    size: Math.min(Math.max(options.size ?? 20, 0), 1000),
    from: Math.max(options.offset ?? 0, 0),
    track_total_hits: true,
    version: true,
    query: {
      bool: {
        filter,
        ...(text === ''
          ? {}
          : {
              must: [
                {
                  simple_query_string: {
                    query: text,
                    fields: ['*'],
                    default_operator: 'and',
                    lenient: true,
                  },
                },
              ],
            }),
      },
    },
    ...(text === '' ? {} : { highlight: { fields: { '*': {} }, require_field_match: false } }),
  };
  const answer = await connection.request(
    {
      method: 'POST',
      path: `/${encodeURIComponent(options.index).replace(/%2A/g, '*')}/_search`,
      querystring: { ignore_unavailable: true, allow_no_indices: true },
      body,
    },
    { doing: `search entities in ${options.index}`, signal: options.signal },
  );
  const hits = ((answer.body ?? {}) as { hits?: { total?: { value?: unknown }; hits?: unknown } })
    .hits;
  const list = Array.isArray(hits?.hits) ? (hits.hits as Record<string, unknown>[]) : [];
  return {
    total: numberOf(hits?.total?.value),
    hits: list.map((hit) => ({
      id: String(hit._id),
      score: typeof hit._score === 'number' ? hit._score : undefined,
      version: typeof hit._version === 'number' ? hit._version : undefined,
      document: (hit._source ?? {}) as JsonObject,
      highlights: (hit.highlight ?? {}) as Record<string, string[]>,
    })),
  };
}
