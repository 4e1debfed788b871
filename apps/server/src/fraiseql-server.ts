import { createConsoleHandler } from '@fraiseql/console';
import {
  coreMigrations,
  createAdminAuth,
  installCapture,
  loadOrCreateAdminToken,
  migrate,
  type AdminToken,
  type SqlClient,
} from '@fraiseql/core';
import {
  createJobQueueMetrics,
  createMetricsRegistry,
  createObserverMetrics,
  renderMetrics,
} from '@fraiseql/metrics';
import { observerMigrations, type ObserverRuntime } from '@fraiseql/observers';
import type { Logger } from 'pino';
import { createDemoSchema, DEMO_CAPTURES } from './demo/demo-schema.js';
import { startFlightService, type FlightService } from './flight/flight-service.js';
import { startDemoWriter, type DemoWriter } from './demo/demo-writer.js';
import { guardRoute, isLoopbackHost } from './http/admin-guard.js';
import { adminRoutes } from './http/admin-routes.js';
import { invocationRoutes } from './http/invocation-routes.js';
import { projectionRoutes } from './http/projection-routes.js';
import { listenHttp, type HttpListener, type Route } from './http/http-server.js';
import { demoReceiverRoutes } from './observers/demo-observers.js';
import { startObserverStack, type ObserverStack } from './observers/observer-stack.js';
import { openDatabase } from './open-database.js';
import type { ServerSettings } from './server-settings.js';
import { analyticsRoutes } from './http/analytics-routes.js';
import { startSinks, type ServerSinks } from './sinks/start-sinks.js';
import type { ElasticsearchClientLike } from '@fraiseql/elasticsearch';

/** A running reference server. */
export interface FraiseQLServer {
  /** Base URL of the HTTP listener (health, admin, demo receivers). */
  readonly httpUrl: string;
  readonly db: SqlClient;
  readonly runtime: ObserverRuntime;
  readonly observers: ObserverStack;
  /** Arrow Flight (`grpc://127.0.0.1:50051` by default), unless `FRAISEQL_FLIGHT=off`. */
  readonly flight: FlightService | undefined;
  /** The demo writer, when the demo is on. */
  readonly demo: DemoWriter | undefined;
  /** The ClickHouse and Elasticsearch loaders that are configured. */
  readonly sinks: ServerSinks;
  /**
   * Set when this start generated the operator token (no `FRAISEQL_ADMIN_TOKEN`, no token file
   * yet): where it is stored and its value, to show once.
   */
  readonly generatedAdminToken: { readonly path: string; readonly token: string } | undefined;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What code (not the environment) can give the server. */
export interface StartServerOptions {
  /** Elasticsearch client to use instead of one created for `ELASTICSEARCH_URL`. */
  readonly elasticsearchClient?: ElasticsearchClientLike | undefined;
}

/** Consumer name under which the server's change-log progress is kept. */
export const SERVER_CONSUMER = 'fraiseql-server';

/**
 * Starts the reference server: database (embedded unless `DATABASE_URL`), migrations, the demo
 * schema with capture, the HTTP listener, and the observers (config file or demo observers).
 */
export async function startServer(
  settings: ServerSettings,
  logger: Logger,
  options: StartServerOptions = {},
): Promise<FraiseQLServer> {
  if (
    settings.flight !== undefined &&
    !isLoopbackHost(settings.flight.host) &&
    settings.adminToken === undefined
  ) {
    throw new Error(
      `refusing to serve Arrow Flight on ${settings.flight.host}, which is not a loopback address, without FRAISEQL_ADMIN_TOKEN: set an operator token (16+ characters) first`,
    );
  }
  if (!isLoopbackHost(settings.httpHost) && settings.adminToken === undefined) {
    throw new Error(
      `refusing to listen on ${settings.httpHost}, which is not a loopback address, without FRAISEQL_ADMIN_TOKEN: set an operator token (16+ characters) for the admin API first`,
    );
  }
  const { tokens, generated } = await adminTokens(settings);
  if (generated !== undefined) {
    logger.warn(
      { path: generated.path },
      'admin token generated and stored (mode 0600); it is printed once on stderr',
    );
  }
  const db = await openDatabase(settings.databaseUrl, settings.dataDir, logger);
  const cleanups: (() => Promise<void>)[] = [() => db.close()];
  const closeAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
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

    const http: HttpListener = await listenHttp(settings.httpHost, settings.httpPort);
    cleanups.push(() => http.close());
    const auth = createAdminAuth({ tokens, allowedHosts: allowedHosts(http.url, settings) });
    const audit = logger.child({ component: 'admin' });
    if (settings.configPath === undefined)
      http.addRoutes(demoReceiverRoutes(logger.child({ component: 'demo' })));

    // One Prometheus registry for this server's runtime, served at GET /metrics.
    const metricsRegistry = createMetricsRegistry();
    // Each sink loads the change log under its own consumer; an unreachable service is waited
    // for in the background.
    const sinks = await startSinks({
      db,
      settings,
      consumer: SERVER_CONSUMER,
      registry: metricsRegistry,
      logger,
      elasticsearchClient: options.elasticsearchClient,
    });
    cleanups.push(() => sinks.close());
    const observers = await startObserverStack({
      metrics: createObserverMetrics(metricsRegistry),
      db,
      configPath: settings.configPath,
      configWatchPath: settings.configWatchPath,
      baseUrl: http.url,
      consumer: SERVER_CONSUMER,
      redisUrl: settings.redisUrl,
      natsUrl: settings.natsUrl,
      workers: settings.workers,
      queuePrefix: settings.queuePrefix,
      jobQueueMetrics: createJobQueueMetrics(metricsRegistry),
      services: sinks.reporters,
      invocationLog: settings.invocationLog,
      logger,
    });
    cleanups.push(() => observers.close());
    const runtime = observers.runtime;
    if (settings.configPath === undefined) {
      logger.info(
        { config: 'fraiseql.config.yaml', docs: 'docs/guides/observers-config.md' },
        'running the demo observers; to run your own, write fraiseql.config.yaml in the working directory (picked up without a restart) or set FRAISEQL_CONFIG; a webhook to a loopback or private address needs allowHosts on its action',
      );
    }

    const flight =
      settings.flight === undefined
        ? undefined
        : await startFlightService({
            db,
            ...settings.flight,
            tokens,
            registry: metricsRegistry,
            logger,
          });
    if (flight !== undefined) {
      cleanups.push(() => flight.close());
      http.addRoutes(flight.routes.map((route) => guardRoute(route, auth, 'token', audit)));
    }

    const demo = settings.demo
      ? await startDemoWriter(db, settings.demoIntervalMs, logger.child({ component: 'demo' }))
      : undefined;
    if (demo !== undefined) cleanups.push(() => demo.close());

    const open = (name: 'health' | 'metrics') => (settings.openRoutes.has(name) ? 'host' : 'token');
    const healthRoute: Route = {
      method: 'GET',
      pattern: '/health',
      handler: async () => {
        const health = await runtime.health();
        return { status: health.state === 'running' ? 200 : 503, body: health };
      },
    };
    const metricsRoute: Route = {
      method: 'GET',
      pattern: '/metrics',
      handler: async ({ raw }) => {
        const { contentType, body } = await renderMetrics(metricsRegistry, raw.headers.accept);
        return { status: 200, body, contentType };
      },
    };
    http.addRoutes([
      guardRoute(healthRoute, auth, open('health'), audit),
      guardRoute(metricsRoute, auth, open('metrics'), audit),
      ...[
        ...adminRoutes(observers),
        ...invocationRoutes(observers, db),
        ...projectionRoutes(db),
      ].map((route) => guardRoute(route, auth, 'token', audit)),
      ...analyticsRoutes(sinks).map((route) => guardRoute(route, auth, 'token', audit)),
    ]);
    if (settings.console) {
      const consoleHandler = createConsoleHandler({
        auth,
        db,
        metrics: metricsRegistry,
        logger: logger.child({ component: 'console' }),
      });
      cleanups.push(() => consoleHandler.close());
      http.mount(consoleHandler.basePath, consoleHandler);
    }
    if (demo !== undefined) {
      http.addRoutes([
        {
          method: 'POST',
          pattern: '/demo/orders',
          handler: async () => {
            await demo.tick();
            return { status: 202, body: { written: true } };
          },
        },
      ]);
    }
    logger.info(
      { url: http.url },
      `HTTP listening: GET /health, /metrics, /admin/observers, /admin/dlq, /admin/invocations, /admin/projections${settings.console ? ', /console' : ''}`,
    );
    if (flight !== undefined) {
      logger.info(
        { url: flight.server.url, httpFallback: `${http.url}/flight/stream` },
        'Arrow Flight listening: views and the event stream (events, events/tail); credentials: the admin token',
      );
    }

    return {
      httpUrl: http.url,
      db,
      runtime,
      observers,
      flight,
      demo,
      sinks,
      generatedAdminToken: generated,
      close: closeAll,
      [Symbol.asyncDispose]: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function adminTokens(settings: ServerSettings): Promise<{
  tokens: AdminToken[];
  generated: { path: string; token: string } | undefined;
}> {
  const tokens: AdminToken[] = [];
  let generated: { path: string; token: string } | undefined;
  if (settings.adminToken !== undefined) {
    tokens.push({ name: 'operator', role: 'operator', token: settings.adminToken });
  } else {
    const stored = await loadOrCreateAdminToken(settings.adminTokenFile);
    tokens.push({ name: 'operator', role: 'operator', token: stored.token });
    if (stored.created) generated = { path: settings.adminTokenFile, token: stored.token };
  }
  if (settings.adminReadOnlyToken !== undefined) {
    tokens.push({ name: 'read-only', role: 'read-only', token: settings.adminReadOnlyToken });
  }
  return { tokens, generated };
}

/** The `Host` values the listener answers to: its loopback names and the configured ones. */
function allowedHosts(url: string, settings: ServerSettings): string[] {
  const { host, port } = new URL(url);
  const names = isLoopbackHost(settings.httpHost)
    ? [host, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]
    : [host];
  return [...names, ...settings.allowedHosts];
}
