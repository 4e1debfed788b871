import { redactUrl, type SqlClient } from '@fraiseql/core';
import type { ClickHouseConnection, ClickHouseSink } from '@fraiseql/clickhouse';
import { createClickHouseSinkMetrics } from '@fraiseql/metrics';
import type { Logger } from 'pino';
import type { MetricsRegistry } from './metrics-registry.js';
import { startSinkLoader, type SinkLoader } from './sink-loader.js';

/** ClickHouse settings of the server. */
export interface ClickHouseLoaderSettings {
  readonly url: string;
  readonly database: string;
  readonly checkIntervalMs: number;
}

/** The running ClickHouse loader and what the admin API reads. */
export interface ClickHouseLoader extends SinkLoader<ClickHouseSink> {
  /** The loader's connection (analytics read through it). */
  readonly connection: ClickHouseConnection;
  readonly database: string;
}

/**
 * Runs the ClickHouse sink on its own change-log reader (named `consumer`: its position and
 * lease in `core.tb_change_log_reader`), which commits each page once ClickHouse stored it.
 * The package is imported only when `CLICKHOUSE_URL` is set.
 */
export async function startClickHouseLoader(options: {
  readonly db: SqlClient;
  readonly settings: ClickHouseLoaderSettings;
  readonly consumer: string;
  readonly registry: MetricsRegistry;
  readonly logger: Logger;
}): Promise<ClickHouseLoader> {
  const { createClickHouseSink, createHttpConnection } = await import('@fraiseql/clickhouse');
  const logger = options.logger.child({ component: 'clickhouse' });
  const connection = createHttpConnection({ url: options.settings.url, logger });
  // The loader reports the service state (probe + sink); the sink's own report would flap
  // the same `fraiseql_service_up` series.
  const metrics = {
    ...createClickHouseSinkMetrics(options.registry),
    serviceState: () => undefined,
  };
  const loader = startSinkLoader<ClickHouseSink>({
    name: 'clickhouse',
    kind: 'clickhouse',
    target: redactUrl(options.settings.url),
    checkIntervalMs: options.settings.checkIntervalMs,
    retry: { initialMs: 500, maxMs: 30_000 },
    logger,
    async probe(signal, sink) {
      await connection.ping({ signal });
      const service = sink?.health().service;
      if (service !== undefined && service.state !== 'up') {
        throw new Error(service.lastError?.message ?? `inserts ${service.state}`);
      }
    },
    open: (signal) =>
      createClickHouseSink({
        connection,
        database: options.settings.database,
        logger,
        metrics,
        signal,
      }),
    db: options.db,
    consumer: options.consumer,
    pipe: (sink) => sink.consumeChangeLog(options.db, { reader: options.consumer }),
    connection,
  });
  return Object.assign(loader, {
    connection,
    database: options.settings.database,
  });
}
