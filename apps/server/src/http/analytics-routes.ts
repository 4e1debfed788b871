import { isClickHouseError } from '@fraiseql/clickhouse';
import { isElasticsearchError } from '@fraiseql/elasticsearch';
import type { ServerSinks } from '../sinks/start-sinks.js';
import { HttpError, type Route } from './http-server.js';

/**
 * Read-only analytics over the sinks (`GET`, so operator and read-only tokens both reach them):
 * `/admin/analytics/clickhouse/:kind` and `/admin/analytics/elasticsearch/:kind`, with the
 * query string as the parameters of the package's analytics request. A sink that is not
 * configured answers 404; a bad parameter 400 with the package's message.
 */
export function analyticsRoutes(sinks: ServerSinks): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/admin/analytics/clickhouse/:kind',
      handler: async ({ params, query }) => {
        const loader = sinks.clickhouse;
        if (loader === undefined) {
          throw new HttpError(404, 'the ClickHouse sink is not configured: set CLICKHOUSE_URL');
        }
        const { createClickHouseAnalytics, runClickHouseAnalyticsRequest } =
          await import('@fraiseql/clickhouse');
        const analytics = createClickHouseAnalytics({
          connection: loader.connection,
          database: loader.database,
        });
        try {
          const rows = await runClickHouseAnalyticsRequest(
            analytics,
            params.kind ?? '',
            Object.fromEntries(query),
          );
          return { status: 200, body: { kind: params.kind, rows } };
        } catch (error) {
          if (isClickHouseError(error, 'INVALID_ARGUMENT')) throw new HttpError(400, error.message);
          if (isClickHouseError(error, 'UNAVAILABLE')) throw new HttpError(503, error.message);
          throw error;
        }
      },
    },
    {
      method: 'GET',
      pattern: '/admin/analytics/elasticsearch/:kind',
      handler: async ({ params, query }) => {
        const loader = sinks.elasticsearch;
        if (loader === undefined) {
          throw new HttpError(
            404,
            'the Elasticsearch sink is not configured: set ELASTICSEARCH_URL',
          );
        }
        const { runElasticsearchAnalyticsRequest } = await import('@fraiseql/elasticsearch');
        try {
          const result = await runElasticsearchAnalyticsRequest(
            { connection: loader.connection, layout: loader.layout },
            params.kind ?? '',
            Object.fromEntries(query),
          );
          return { status: 200, body: { kind: params.kind, result } };
        } catch (error) {
          if (isElasticsearchError(error, 'INVALID_ARGUMENT')) {
            throw new HttpError(400, error.message);
          }
          if (
            isElasticsearchError(error, 'UNAVAILABLE') ||
            isElasticsearchError(error, 'TIMEOUT')
          ) {
            throw new HttpError(503, error.message);
          }
          throw error;
        }
      },
    },
  ];
}
