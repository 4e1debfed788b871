import { redactUrl, type SqlClient } from '@fraiseql/core';
import type {
  ElasticsearchClientLike,
  ElasticsearchConnection,
  ElasticsearchEventSink,
  EventIndexLayout,
} from '@fraiseql/elasticsearch';
import { createElasticsearchMetrics } from '@fraiseql/metrics';
import type { Logger } from 'pino';
import type { MetricsRegistry } from './metrics-registry.js';
import { startSinkLoader, type SinkLoader } from './sink-loader.js';

/** Elasticsearch settings of the server. */
export interface ElasticsearchLoaderSettings {
  readonly url: string;
  readonly apiKey: string | undefined;
  readonly indexPrefix: string;
  readonly checkIntervalMs: number;
}

/** The running Elasticsearch loader and what the admin API reads. */
export interface ElasticsearchLoader extends SinkLoader<ElasticsearchEventSink> {
  readonly connection: ElasticsearchConnection;
  /** Where the event history is, known before the sink exists. */
  readonly layout: EventIndexLayout;
}

/**
 * Runs the Elasticsearch event-history sink behind its own change-log consumer (`consumer`),
 * with dead letters in PostgreSQL (`elasticsearch` migrations, applied by the caller). The
 * package is imported only when `ELASTICSEARCH_URL` is set.
 */
export async function startElasticsearchLoader(options: {
  readonly db: SqlClient;
  readonly settings: ElasticsearchLoaderSettings;
  readonly consumer: string;
  readonly registry: MetricsRegistry;
  readonly logger: Logger;
  /** A client to use instead of creating one for `settings.url` (another transport, tests). */
  readonly client?: ElasticsearchClientLike | undefined;
}): Promise<ElasticsearchLoader> {
  const es = await import('@fraiseql/elasticsearch');
  const logger = options.logger.child({ component: 'elasticsearch' });
  // The loader reports the service state; the connection's own report would flap the series.
  const metrics = {
    ...createElasticsearchMetrics(options.registry),
    serviceState: () => undefined,
  };
  const connection = es.createElasticsearchConnection({
    ...(options.client === undefined
      ? {
          node: options.settings.url,
          ...(options.settings.apiKey === undefined
            ? {}
            : { auth: { apiKey: options.settings.apiKey } }),
        }
      : { client: options.client }),
    logger,
    metrics,
  });
  const layout = es.eventIndexLayout(options.settings.indexPrefix, 'monthly');
  const loader = startSinkLoader<ElasticsearchEventSink>({
    name: 'elasticsearch',
    kind: 'elasticsearch',
    target: redactUrl(options.settings.url),
    checkIntervalMs: options.settings.checkIntervalMs,
    retry: { initialMs: 500, maxMs: 30_000 },
    logger,
    async probe(signal) {
      await connection.request({ method: 'GET', path: '/' }, { doing: 'ping', signal });
    },
    open: () =>
      Promise.resolve(
        es.createElasticsearchEventSink({
          connection,
          deadLetters: es.createPgSinkDeadLetters(options.db),
          config: { index: { prefix: options.settings.indexPrefix, mode: 'monthly' } },
          logger,
          metrics,
        }),
      ),
    db: options.db,
    consumer: options.consumer,
    connection,
  });
  return Object.assign(loader, {
    connection,
    layout,
  });
}
