// Text parameters → typed analytics queries, with a recording stand-in for the analytics object
// (the queries themselves are tested against ClickHouse in test/).
import { describe, expect, it } from 'vitest';
import { isClickHouseError } from '../errors.js';
import { runClickHouseAnalyticsRequest } from './analytics-request.js';
import type { ClickHouseAnalytics } from './clickhouse-analytics.js';

function recorder() {
  const calls: { method: string; query: Record<string, unknown> }[] = [];
  const record =
    (method: string) =>
    (query: Record<string, unknown>): Promise<unknown[]> => {
      calls.push({ method, query });
      return Promise.resolve([]);
    };
  const analytics = {
    timeSeries: record('timeSeries'),
    topEntities: record('topEntities'),
    uniqueEntities: record('uniqueEntities'),
    activeTenants: record('activeTenants'),
    payloadStats: record('payloadStats'),
  } as unknown as ClickHouseAnalytics;
  return { analytics, calls };
}

const now = new Date('2026-12-05T12:00:00Z');

describe('runClickHouseAnalyticsRequest', () => {
  it('turns text parameters into the typed query', async () => {
    const { analytics, calls } = recorder();
    await runClickHouseAnalyticsRequest(
      analytics,
      'time-series',
      { from: '6h', bucket: '1h', by: 'tenant_id', entityType: 'order' },
      { now },
    );
    await runClickHouseAnalyticsRequest(
      analytics,
      'top-entities',
      { from: '2026-12-01T00:00:00Z', to: '2026-12-02T00:00:00Z', limit: '5' },
      { now },
    );
    await runClickHouseAnalyticsRequest(analytics, 'active-tenants', {}, { now });
    expect(calls).toEqual([
      {
        method: 'timeSeries',
        query: {
          from: new Date('2026-12-05T06:00:00Z'),
          to: now,
          bucketSeconds: 3600,
          by: 'tenant_id',
          entityType: 'order',
        },
      },
      {
        method: 'topEntities',
        query: {
          from: new Date('2026-12-01T00:00:00Z'),
          to: new Date('2026-12-02T00:00:00Z'),
          limit: 5,
        },
      },
      { method: 'activeTenants', query: { from: new Date('2026-12-04T12:00:00Z'), to: now } },
    ]);
  });

  it.each([
    ['nope', {}, /unknown analytics "nope": expected one of time-series/],
    ['time-series', { limit: '3' }, /time-series: unknown parameter "limit"/],
    ['time-series', { bucket: '90s' }, /bucket: expected whole minutes/],
    ['time-series', { by: 'colour' }, /by: expected event_type, entity_type, tenant_id/],
    ['top-entities', { limit: '0' }, /limit: expected a whole number from 1 to 10000, got "0"/],
    ['payload-stats', { from: 'yesterday' }, /from: expected an ISO-8601 time .* got "yesterday"/],
    ['payload-stats', { from: '1h', to: '2h' }, /from must be before to/],
  ])('refuses %s with %j', (kind, params, message) => {
    const { analytics, calls } = recorder();
    let thrown: unknown;
    try {
      void runClickHouseAnalyticsRequest(analytics, kind, params, { now });
    } catch (error) {
      thrown = error;
    }
    expect(isClickHouseError(thrown, 'INVALID_ARGUMENT')).toBe(true);
    expect((thrown as Error).message).toMatch(message);
    expect(calls).toEqual([]);
  });
});
