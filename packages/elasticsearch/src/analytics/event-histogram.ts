import { ElasticsearchError } from '../errors.js';
import {
  bucketsOf,
  eventFilterClauses,
  numberOf,
  searchEventIndex,
  type EventFilters,
  type EventQueryTarget,
} from './event-filters.js';

/** Options of {@link eventHistogram}. */
export interface EventHistogramOptions extends EventFilters {
  /** Bucket width: a fixed interval (`5m`, `1h`, `1d`) or a calendar unit (`week`, `month`). */
  readonly interval: string;
  /** Split each bucket by this field. @defaultValue `'event_type'` */
  readonly by?: 'event_type' | 'entity_type';
  /** Most keys per bucket. @defaultValue `20` */
  readonly size?: number;
}

/** One bucket of {@link eventHistogram}. */
export interface HistogramBucket {
  readonly start: Date;
  readonly total: number;
  /** Events per event kind (or entity type). */
  readonly counts: Readonly<Record<string, number>>;
}

const CALENDAR = new Set(['minute', 'hour', 'day', 'week', 'month', 'quarter', 'year']);
const FIXED = /^\d+(ms|s|m|h|d)$/;

/**
 * Events per time bucket, split by event kind or entity type.
 *
 * @throws {ElasticsearchError} `INVALID_ARGUMENT` for an interval neither fixed nor calendar.
 */
export async function eventHistogram(
  target: EventQueryTarget,
  options: EventHistogramOptions,
): Promise<HistogramBucket[]> {
  const interval = options.interval;
  if (!CALENDAR.has(interval) && !FIXED.test(interval)) {
    throw new ElasticsearchError(
      'INVALID_ARGUMENT',
      `interval: expected a fixed interval such as "5m", "1h", "1d" or one of ${[...CALENDAR].join(', ')}, got ${JSON.stringify(interval)}`,
    );
  }
  const by = options.by ?? 'event_type';
  const body = {
    size: 0,
    query: { bool: { filter: eventFilterClauses(options) } },
    aggs: {
      over_time: {
        date_histogram: {
          field: '@timestamp',
          ...(CALENDAR.has(interval)
            ? { calendar_interval: interval }
            : { fixed_interval: interval }),
          min_doc_count: 0,
        },
        aggs: { by_key: { terms: { field: by, size: options.size ?? 20 } } },
      },
    },
  };
  const answer = await searchEventIndex(target, body, 'event histogram');
  return bucketsOf(answer.aggregations, 'over_time').map((bucket) => {
    const counts: Record<string, number> = {};
    for (const key of bucketsOf(bucket, 'by_key'))
      counts[String(key.key)] = numberOf(key.doc_count);
    return { start: new Date(numberOf(bucket.key)), total: numberOf(bucket.doc_count), counts };
  });
}
