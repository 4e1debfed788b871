import { durationParam, integerParam, isCoreError, timeParam } from '@fraiseql/core';
import { ClickHouseError } from '../errors.js';
import type { ClickHouseAnalytics } from './clickhouse-analytics.js';
import type { SeriesDimension } from './event-time-series.js';

/** The analytics a request can ask for, by name (admin API path segment, CLI argument). */
export const CLICKHOUSE_ANALYTICS_KINDS = [
  'time-series',
  'top-entities',
  'unique-entities',
  'active-tenants',
  'payload-stats',
] as const;

/** One of {@link CLICKHOUSE_ANALYTICS_KINDS}. */
export type ClickHouseAnalyticsKind = (typeof CLICKHOUSE_ANALYTICS_KINDS)[number];

/** Text parameters of an analytics request (a URL query, CLI options); unknown keys are refused. */
export type AnalyticsRequestParams = Readonly<Record<string, string | undefined>>;

const PARAMS: Readonly<Record<ClickHouseAnalyticsKind, readonly string[]>> = {
  'time-series': ['from', 'to', 'bucket', 'by', 'entityType', 'eventType', 'tenantId'],
  'top-entities': ['from', 'to', 'entityType', 'limit'],
  'unique-entities': ['from', 'to', 'entityType'],
  'active-tenants': ['from', 'to', 'limit'],
  'payload-stats': ['from', 'to', 'entityType'],
};
const DIMENSIONS: readonly SeriesDimension[] = ['event_type', 'entity_type', 'tenant_id'];

/**
 * Runs the analytics query `kind` with text parameters: `from`/`to` (ISO-8601 time, or a
 * duration back from now such as `24h`; default the last 24 hours), `bucket` (a duration, whole
 * minutes), `by` (`event_type`, `entity_type`, `tenant_id`), `entityType`, `eventType`,
 * `tenantId`, `limit` (1–10000).
 *
 * @throws {ClickHouseError} `INVALID_ARGUMENT` naming the parameter and the value it got
 */
export function runClickHouseAnalyticsRequest(
  analytics: ClickHouseAnalytics,
  kind: string,
  params: AnalyticsRequestParams,
  options: { readonly now?: Date; readonly signal?: AbortSignal } = {},
): Promise<unknown[]> {
  if (!(CLICKHOUSE_ANALYTICS_KINDS as readonly string[]).includes(kind)) {
    throw new ClickHouseError(
      'INVALID_ARGUMENT',
      `unknown analytics ${JSON.stringify(kind)}: expected one of ${CLICKHOUSE_ANALYTICS_KINDS.join(', ')}`,
    );
  }
  const allowed = PARAMS[kind as ClickHouseAnalyticsKind];
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && !allowed.includes(name)) {
      throw new ClickHouseError(
        'INVALID_ARGUMENT',
        `${kind}: unknown parameter ${JSON.stringify(name)}; it takes ${allowed.join(', ')}`,
      );
    }
  }
  const now = options.now ?? new Date();
  const to = param(() => timeParam(params.to, 'to', now)) ?? now;
  const from =
    param(() => timeParam(params.from, 'from', now)) ?? new Date(to.getTime() - 86_400_000);
  if (from.getTime() >= to.getTime()) {
    throw new ClickHouseError(
      'INVALID_ARGUMENT',
      `from must be before to, got from=${from.toISOString()} to=${to.toISOString()}`,
    );
  }
  const range = { from, to, ...(options.signal === undefined ? {} : { signal: options.signal }) };
  const text = (name: string): Record<string, string> =>
    params[name] === undefined || params[name] === '' ? {} : { [name]: params[name] };
  const limit = param(() => integerParam(params.limit, 'limit', 1, 10_000));
  const limited = limit === undefined ? {} : { limit };
  switch (kind as ClickHouseAnalyticsKind) {
    case 'time-series': {
      const by = params.by;
      if (by !== undefined && !(DIMENSIONS as readonly string[]).includes(by)) {
        throw new ClickHouseError(
          'INVALID_ARGUMENT',
          `by: expected ${DIMENSIONS.join(', ')}, got ${JSON.stringify(by)}`,
        );
      }
      const bucket = param(() => durationParam(params.bucket, 'bucket'));
      if (bucket !== undefined && (bucket < 60_000 || bucket % 60_000 !== 0)) {
        throw new ClickHouseError(
          'INVALID_ARGUMENT',
          `bucket: expected whole minutes (1m, 5m, 1h, 1d), got ${JSON.stringify(params.bucket)}`,
        );
      }
      return analytics.timeSeries({
        ...range,
        ...(bucket === undefined ? {} : { bucketSeconds: bucket / 1000 }),
        ...(by === undefined ? {} : { by: by as SeriesDimension }),
        ...text('entityType'),
        ...text('eventType'),
        ...text('tenantId'),
      });
    }
    case 'top-entities':
      return analytics.topEntities({ ...range, ...text('entityType'), ...limited });
    case 'unique-entities':
      return analytics.uniqueEntities({ ...range, ...text('entityType') });
    case 'active-tenants':
      return analytics.activeTenants({ ...range, ...limited });
    case 'payload-stats':
      return analytics.payloadStats({ ...range, ...text('entityType') });
  }
}

/** Runs a core parameter parser, reporting a bad value as this package's error. */
function param<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!isCoreError(error, 'INVALID_ARGUMENT')) throw error;
    throw new ClickHouseError('INVALID_ARGUMENT', error.message, { cause: error });
  }
}
