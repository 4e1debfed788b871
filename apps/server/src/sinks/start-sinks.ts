import { migrate, type ServiceHealthReporter, type SqlClient } from '@fraiseql/core';
import type { Logger } from 'pino';
import type { ServerSettings } from '../server-settings.js';
import { startClickHouseLoader, type ClickHouseLoader } from './clickhouse-loader.js';
import { startElasticsearchLoader, type ElasticsearchLoader } from './elasticsearch-loader.js';
import type { ElasticsearchClientLike } from '@fraiseql/elasticsearch';
import type { MetricsRegistry } from './metrics-registry.js';

/** The sinks the server runs, each present when its URL is set. */
export interface ServerSinks {
  readonly clickhouse: ClickHouseLoader | undefined;
  readonly elasticsearch: ElasticsearchLoader | undefined;
  /** Their service health, for `/health` and the service metrics. */
  readonly reporters: readonly ServiceHealthReporter[];
  close(): Promise<void>;
}

/**
 * Starts the ClickHouse and Elasticsearch loaders that are configured, each behind its own
 * change-log consumer (`<consumer>:clickhouse`, `<consumer>:elasticsearch`). Returns at once: a
 * service that cannot be reached is waited for in the background.
 */
export async function startSinks(options: {
  readonly db: SqlClient;
  readonly settings: ServerSettings;
  readonly consumer: string;
  readonly registry: MetricsRegistry;
  readonly logger: Logger;
  readonly elasticsearchClient?: ElasticsearchClientLike | undefined;
}): Promise<ServerSinks> {
  const { settings } = options;
  const clickhouse =
    settings.clickhouse === undefined
      ? undefined
      : await startClickHouseLoader({
          db: options.db,
          settings: settings.clickhouse,
          consumer: `${options.consumer}:clickhouse`,
          registry: options.registry,
          logger: options.logger,
        });
  let elasticsearch: ElasticsearchLoader | undefined;
  try {
    if (settings.elasticsearch !== undefined) {
      const { elasticsearchMigrations } = await import('@fraiseql/elasticsearch');
      await migrate(options.db, {
        sets: [elasticsearchMigrations],
        logger: options.logger.child({ component: 'migrate' }),
      });
      elasticsearch = await startElasticsearchLoader({
        db: options.db,
        settings: settings.elasticsearch,
        consumer: `${options.consumer}:elasticsearch`,
        registry: options.registry,
        logger: options.logger,
        client: options.elasticsearchClient,
      });
    }
  } catch (error) {
    await clickhouse?.close();
    throw error;
  }
  const loaders = [clickhouse, elasticsearch].filter((loader) => loader !== undefined);
  return {
    clickhouse,
    elasticsearch,
    reporters: loaders,
    close: async () => {
      await Promise.all(loaders.map((loader) => loader.close()));
    },
  };
}
