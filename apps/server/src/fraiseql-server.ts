import {
  coreMigrations,
  eventToJson,
  installCapture,
  migrate,
  type EntityEvent,
  type SqlClient,
} from '@fraiseql/core';
import {
  createChangeLogSource,
  createObserverRuntime,
  observerMigrations,
  type ObserverRuntime,
} from '@fraiseql/observers';
import type { Logger } from 'pino';
import { createDemoSchema, DEMO_CAPTURES } from './demo/demo-schema.js';
import { startDemoWriter, type DemoWriter } from './demo/demo-writer.js';
import { listenHttp, type HttpListener, type RouteHandler } from './http/http-server.js';
import { openDatabase } from './open-database.js';
import type { ServerSettings } from './server-settings.js';

/** A running reference server. */
export interface FraiseQLServer {
  /** Base URL of the HTTP listener (health, metrics, admin). */
  readonly httpUrl: string;
  readonly db: SqlClient;
  readonly runtime: ObserverRuntime;
  /** Writes one demo order now (only when the demo is on). */
  readonly demo: DemoWriter | undefined;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Consumer name under which the server's change-log progress is kept. */
export const SERVER_CONSUMER = 'fraiseql-server';

/**
 * Starts the reference server: database (embedded unless `DATABASE_URL`), migrations, the demo
 * schema with capture, the change-log runtime, and the HTTP listener.
 */
export async function startServer(
  settings: ServerSettings,
  logger: Logger,
): Promise<FraiseQLServer> {
  const db = await openDatabase(settings.databaseUrl, settings.dataDir, logger);
  const cleanups: (() => Promise<void>)[] = [() => db.close()];
  const closeAll = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => {
        logger.warn({ err: error }, 'error during shutdown');
      });
    }
  };
  try {
    const report = await migrate(db, {
      sets: [coreMigrations, observerMigrations],
      logger: logger.child({ component: 'migrate' }),
    });
    logger.info(
      { applied: report.namespaces.flatMap((n) => n.applied.map((id) => `${n.namespace}/${id}`)) },
      'migrations up to date',
    );

    if (settings.demo) {
      await createDemoSchema(db);
      for (const capture of DEMO_CAPTURES) await installCapture(db, capture);
      logger.info(
        { tables: DEMO_CAPTURES.map((c) => c.table) },
        'demo schema ready, capture installed',
      );
    }

    const source = createChangeLogSource(db, {
      consumer: SERVER_CONSUMER,
      logger: logger.child({ component: 'change-log' }),
    });
    const runtime = createObserverRuntime({
      sources: source,
      handler: (event) => {
        logChange(logger, event);
        return Promise.resolve();
      },
      logger: logger.child({ component: 'runtime' }),
    });
    await runtime.start();
    cleanups.push(() => runtime.close());

    const demo = settings.demo
      ? await startDemoWriter(db, settings.demoIntervalMs, logger.child({ component: 'demo' }))
      : undefined;
    if (demo !== undefined) cleanups.push(() => demo.close());

    const routes = new Map<string, RouteHandler>([
      [
        'GET /health',
        async () => {
          const health = await runtime.health();
          return { status: health.state === 'running' ? 200 : 503, body: health };
        },
      ],
    ]);
    if (demo !== undefined) {
      routes.set('POST /demo/orders', async () => {
        await demo.tick();
        return { status: 202, body: { written: true } };
      });
    }
    const http: HttpListener = await listenHttp(settings.httpHost, settings.httpPort, routes);
    cleanups.push(() => http.close());
    logger.info({ url: http.url }, 'HTTP listening (GET /health)');

    const server: FraiseQLServer = {
      httpUrl: http.url,
      db,
      runtime,
      demo,
      close: closeAll,
      [Symbol.asyncDispose]: closeAll,
    };
    return server;
  } catch (error) {
    await closeAll();
    throw error;
  }
}

function logChange(logger: Logger, event: EntityEvent): void {
  const json = eventToJson(event);
  logger.info(
    {
      seq: json.seq,
      eventType: json.eventType,
      entityType: json.entityType,
      entityId: json.entityId,
      changes: json.changes === undefined ? undefined : Object.keys(json.changes),
    },
    `change captured: ${json.eventType} ${json.entityType} ${json.entityId}`,
  );
}
