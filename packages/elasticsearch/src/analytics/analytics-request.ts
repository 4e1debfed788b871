import { integerParam, isCoreError, timeParam, type EventType } from '@fraiseql/core';
import { ElasticsearchError } from '../errors.js';
import { activeTenants } from './active-tenants.js';
import { eventHistogram } from './event-histogram.js';
import type { EventFilters, EventQueryTarget } from './event-filters.js';
import { searchEvents } from './search-events.js';
import { topEntities } from './top-entities.js';

/** The analytics a request can ask for, by name (admin API path segment, CLI argument). */
export const ELASTICSEARCH_ANALYTICS_KINDS = [
  'histogram',
  'top-entities',
  'active-tenants',
  'search',
] as const;

/** One of {@link ELASTICSEARCH_ANALYTICS_KINDS}. */
export type ElasticsearchAnalyticsKind = (typeof ELASTICSEARCH_ANALYTICS_KINDS)[number];

/** Text parameters of an analytics request (a URL query, CLI options); unknown keys are refused. */
export type ElasticsearchRequestParams = Readonly<Record<string, string | undefined>>;

const FILTERS = ['from', 'to', 'tenantId', 'entityType', 'eventType', 'entityId'];
const PARAMS: Readonly<Record<ElasticsearchAnalyticsKind, readonly string[]>> = {
  histogram: [...FILTERS, 'interval', 'by'],
  'top-entities': [...FILTERS, 'size'],
  'active-tenants': FILTERS.filter((name) => name !== 'tenantId').concat('size'),
  search: [...FILTERS, 'text', 'size', 'offset'],
};
const EVENT_TYPES: readonly EventType[] = ['INSERT', 'UPDATE', 'DELETE', 'CUSTOM'];

/**
 * Runs the analytics query or search `kind` with text parameters: `from`/`to` (ISO-8601, or a
 * duration back from now such as `24h`), `tenantId`, `entityType` and `eventType` (comma
 * lists), `entityId`, `interval` and `by` (`event_type`, `entity_type`) for `histogram`, `text`
 * and `offset` for `search`, `size`.
 *
 * @throws {ElasticsearchError} `INVALID_ARGUMENT` naming the parameter and the value it got
 */
export async function runElasticsearchAnalyticsRequest(
  target: EventQueryTarget,
  kind: string,
  params: ElasticsearchRequestParams,
  options: { readonly now?: Date } = {},
): Promise<unknown> {
  if (!(ELASTICSEARCH_ANALYTICS_KINDS as readonly string[]).includes(kind)) {
    throw invalid(
      `unknown analytics ${JSON.stringify(kind)}: expected one of ${ELASTICSEARCH_ANALYTICS_KINDS.join(', ')}`,
    );
  }
  const allowed = PARAMS[kind as ElasticsearchAnalyticsKind];
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && !allowed.includes(name)) {
      throw invalid(
        `${kind}: unknown parameter ${JSON.stringify(name)}; it takes ${allowed.join(', ')}`,
      );
    }
  }
  const now = options.now ?? new Date();
  const filters = filtersOf(params, now);
  const size = param(() => integerParam(params.size, 'size', 0, 1000));
  const sized = size === undefined ? {} : { size };
  switch (kind as ElasticsearchAnalyticsKind) {
    case 'histogram': {
      const by = params.by;
      if (by !== undefined && by !== 'event_type' && by !== 'entity_type') {
        throw invalid(`by: expected event_type or entity_type, got ${JSON.stringify(by)}`);
      }
      return eventHistogram(target, {
        ...filters,
        interval: params.interval ?? '1h',
        ...(by === undefined ? {} : { by }),
      });
    }
    case 'top-entities':
      return topEntities(target, { ...filters, ...sized });
    case 'active-tenants':
      return activeTenants(target, { ...filters, ...sized });
    case 'search': {
      const offset = param(() => integerParam(params.offset, 'offset', 0, 10_000));
      return searchEvents(target, {
        ...filters,
        ...sized,
        ...(offset === undefined ? {} : { offset }),
        ...(params.text === undefined ? {} : { text: params.text }),
      });
    }
  }
}

function filtersOf(params: ElasticsearchRequestParams, now: Date): EventFilters {
  const from = param(() => timeParam(params.from, 'from', now));
  const to = param(() => timeParam(params.to, 'to', now));
  if (from !== undefined && to !== undefined && from.getTime() >= to.getTime()) {
    throw invalid(`from must be before to, got from=${from.toISOString()} to=${to.toISOString()}`);
  }
  const list = (value: string | undefined): string[] =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  const eventTypes = list(params.eventType).map((item) => item.toUpperCase());
  for (const type of eventTypes) {
    if (!(EVENT_TYPES as readonly string[]).includes(type)) {
      throw invalid(`eventType: expected ${EVENT_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
    }
  }
  const entityTypes = list(params.entityType);
  return {
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(params.tenantId === undefined || params.tenantId === ''
      ? {}
      : { tenantId: params.tenantId }),
    ...(params.entityId === undefined || params.entityId === ''
      ? {}
      : { entityId: params.entityId }),
    ...(entityTypes.length === 0 ? {} : { entityTypes }),
    ...(eventTypes.length === 0 ? {} : { eventTypes: eventTypes as EventType[] }),
  };
}

/** Runs a core parameter parser, reporting a bad value as this package's error. */
function param<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!isCoreError(error, 'INVALID_ARGUMENT')) throw error;
    throw new ElasticsearchError('INVALID_ARGUMENT', error.message, { cause: error });
  }
}

function invalid(message: string): ElasticsearchError {
  return new ElasticsearchError('INVALID_ARGUMENT', message);
}
