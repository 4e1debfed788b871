import {
  eventToJson,
  type EntityEvent,
  type EventSource,
  type ServiceHealthReporter,
  type SqlClient,
} from '@fraiseql/core';
import {
  createActionRegistry,
  createChangeLogSource,
  createDeadLetterQueue,
  createInvocationLog,
  createMatcher,
  createMemoryDedupStore,
  createNatsBridge,
  createNatsSource,
  createObserverDefinitions,
  createObserverExecutor,
  createObserverRuntime,
  createRedisDedupStore,
  loadObserversConfig,
  parseObserversConfig,
  watchConfig,
  type ActionRegistry,
  type DeadLetterQueue,
  type InvocationLog,
  type ObserverExecutor,
  type ObserverMatcher,
  type ObserverMetrics,
  type ObserverRuntime,
  type ObserversConfig,
} from '@fraiseql/observers';
import {
  createAsyncActionLookup,
  createEnqueueAction,
  createJobQueue,
  createJobQueueAdmin,
  createJobWorker,
  enqueueActionSchema,
  type JobQueueAdmin,
  type JobQueueMetrics,
} from '@fraiseql/job-queue';
import type { Logger } from 'pino';
import { demoObserversYaml } from './demo-observers.js';

/** What the server needs to run observers. */
export interface ObserverStackOptions {
  readonly db: SqlClient;
  /** Observers config file; undefined runs the demo observers. */
  readonly configPath: string | undefined;
  /** The file watched for changes: `configPath`, or where a config may appear later. */
  readonly configWatchPath: string;
  /** The server's own base URL (the demo observers call receivers there). */
  readonly baseUrl: string;
  /** Consumer name for change-log progress. */
  readonly consumer: string;
  /** Redis for dedup and cache actions when the config names none. */
  readonly redisUrl: string | undefined;
  /** NATS servers when the config's source is `nats` and names none. */
  readonly natsUrl: string | undefined;
  readonly logger: Logger;
  readonly metrics?: ObserverMetrics;
  /** Job-queue workers to run in this process (needs Redis). */
  readonly workers: number;
  /** Prefix of the job queue's Redis keys. */
  readonly queuePrefix: string;
  readonly jobQueueMetrics?: JobQueueMetrics;
  /** More connections to report in `health().services` and the service metrics (sinks). */
  readonly services?: readonly ServiceHealthReporter[];
  /** Whether every action attempt is recorded, and for how long. @defaultValue on, 7 days, 1,000,000 rows */
  readonly invocationLog?: {
    readonly enabled: boolean;
    readonly maxAgeMs: number;
    readonly maxRows: number;
  };
}

/** Running observers: the parts the admin API and the health check read. */
export interface ObserverStack {
  readonly runtime: ObserverRuntime;
  readonly matcher: ObserverMatcher;
  readonly dlq: DeadLetterQueue;
  /** Every action attempt (empty while the log is off). */
  readonly invocations: InvocationLog;
  /** The executor, whose `replay` redeliveries and dead-letter retries run through. */
  readonly executor: ObserverExecutor;
  readonly registry: ActionRegistry;
  /** Where the observers came from: a file path or `demo`. */
  readonly configOrigin: string;
  /** Queue stats and job dead letters, when Redis is configured. */
  readonly jobQueue: JobQueueAdmin | undefined;
  close(): Promise<void>;
}

/**
 * Loads the observers (file or demo), builds registry, matcher, dead-letter queue, dedup and
 * executor, starts the configured source under the runtime, and reloads the file on change.
 *
 * @throws {ObserverError} `CONFIG_INVALID` / `CONFIG_ENV_MISSING`: nothing starts half-configured.
 */
export async function startObserverStack(options: ObserverStackOptions): Promise<ObserverStack> {
  const { db, logger } = options;
  const cleanups: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => {
        logger.warn({ err: error }, 'error while stopping observers');
      });
    }
  };
  try {
    const registry = createActionRegistry({
      logger: logger.child({ component: 'actions' }),
      ...(options.redisUrl === undefined ? {} : { redisUrl: options.redisUrl }),
    });
    cleanups.push(() => registry.close());
    registry.registerFunction('demo.welcome', (event) => {
      const name = typeof event.data.name === 'string' ? event.data.name : event.entityId;
      logger.info({ customer: name }, `demo function: welcome, ${name}!`);
      return 'welcomed';
    });

    // With Redis, `async: true` actions and `enqueue` actions run on job-queue workers.
    const queue =
      options.redisUrl === undefined
        ? undefined
        : createJobQueue({
            redisUrl: options.redisUrl,
            prefix: options.queuePrefix,
            logger: logger.child({ component: 'job-queue' }),
            ...(options.jobQueueMetrics === undefined ? {} : { metrics: options.jobQueueMetrics }),
          });
    if (queue !== undefined) {
      cleanups.push(() => queue.close());
      registry.register(createEnqueueAction({ queue, registry }), enqueueActionSchema);
    }

    const config: ObserversConfig =
      options.configPath === undefined
        ? parseObserversConfig(demoObserversYaml(options.baseUrl), {
            format: 'yaml',
            fileName: 'demo-observers.yaml',
            registry,
          })
        : await loadObserversConfig(options.configPath, { registry });
    const matcher = createMatcher(createObserverDefinitions(config));
    if (queue === undefined) {
      const asyncObservers = observersWithAsyncActions(config);
      if (asyncObservers.length > 0) {
        throw new Error(
          `observers ${asyncObservers.join(', ')} have async actions, which run on job-queue workers: set REDIS_URL`,
        );
      }
    }
    logger.info(
      { origin: options.configPath ?? 'demo', observers: matcher.list().map((o) => o.name) },
      'observers loaded',
    );

    const metrics = options.metrics;
    const dlq = createDeadLetterQueue(db, {
      logger: logger.child({ component: 'dlq' }),
      ...(metrics === undefined ? {} : { metrics }),
    });
    const invocationSettings = options.invocationLog ?? {
      enabled: true,
      maxAgeMs: 7 * 86_400_000,
      maxRows: 1_000_000,
    };
    const invocations = createInvocationLog(db, {
      enabled: invocationSettings.enabled,
      maxAge: invocationSettings.maxAgeMs,
      maxRows: invocationSettings.maxRows,
      logger: logger.child({ component: 'invocations' }),
      ...(metrics === undefined ? {} : { metrics }),
    });
    // Closed after the executor (cleanups run in reverse): the last attempts are written.
    cleanups.push(() => invocations.close());
    const redisUrl = config.redis?.url ?? options.redisUrl;
    const dedup =
      redisUrl === undefined
        ? createMemoryDedupStore(metrics === undefined ? {} : { metrics })
        : createRedisDedupStore({ url: redisUrl, logger: logger.child({ component: 'dedup' }) });
    cleanups.push(() => dedup.close());
    const executor = createObserverExecutor({
      matcher,
      registry:
        queue === undefined
          ? registry
          : createAsyncActionLookup({
              registry,
              queue,
              observers: matcher,
              logger: logger.child({ component: 'job-queue' }),
            }),
      dlq,
      dedup,
      logger: logger.child({ component: 'executor' }),
      ...(metrics === undefined ? {} : { metrics }),
      ...(invocations.enabled ? { onAttempt: invocations.record } : {}),
    });
    cleanups.push(() => executor.close());

    // The connections of the actions, the job queue and the NATS bridge, in health().services
    // and the service metrics.
    const serviceReporters: ServiceHealthReporter[] =
      queue === undefined ? [registry] : [queue, registry];
    if (queue !== undefined) {
      for (let index = 0; index < options.workers; index += 1) {
        const worker = createJobWorker({
          redisUrl: queue.config.redisUrl,
          prefix: options.queuePrefix,
          registry,
          observers: matcher,
          logger: logger.child({ component: 'job-worker', worker: index }),
          ...(options.jobQueueMetrics === undefined ? {} : { metrics: options.jobQueueMetrics }),
        });
        cleanups.push(() => worker.close());
        await worker.start();
        serviceReporters.push(worker);
      }
      logger.info({ workers: options.workers }, 'job-queue workers running');
    }

    const source = await startSource(config, options, cleanups, serviceReporters);
    const runtime = createObserverRuntime({
      sources: source,
      handler: async (event, context) => {
        logChange(logger, event);
        await executor(event, context);
      },
      logger: logger.child({ component: 'runtime' }),
      services: [...serviceReporters, ...(options.services ?? [])],
      // Observers waiting on an open breaker show as degraded in /health.
      observers: executor,
      ...(metrics === undefined ? {} : { metrics }),
    });
    await runtime.start();
    cleanups.push(() => runtime.close());

    // A config file created after start replaces the demo observers, as an edit reloads it.
    let configOrigin = options.configPath ?? 'demo';
    {
      const watcher = watchConfig(
        options.configWatchPath,
        (next) => {
          matcher.replace(createObserverDefinitions(next));
          configOrigin = options.configWatchPath;
          logger.info(
            { origin: configOrigin, observers: matcher.list().map((o) => o.name) },
            'observers reloaded',
          );
        },
        {
          registry,
          // watchConfig logs each rejected version once, with every issue; the previous
          // observers keep running.
          logger: logger.child({ component: 'config' }),
        },
      );
      cleanups.push(() => watcher.close());
    }

    return {
      runtime,
      matcher,
      dlq,
      invocations,
      executor,
      registry,
      get configOrigin() {
        return configOrigin;
      },
      jobQueue:
        queue === undefined
          ? undefined
          : createJobQueueAdmin({
              queue,
              ...(options.jobQueueMetrics === undefined
                ? {}
                : { metrics: options.jobQueueMetrics }),
            }),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function startSource(
  config: ObserversConfig,
  options: ObserverStackOptions,
  cleanups: (() => Promise<void>)[],
  reporters: ServiceHealthReporter[],
): Promise<EventSource> {
  const { kind, ...sourceOptions } = config.source ?? { kind: 'change-log' as const };
  const changeLog = (): EventSource =>
    createChangeLogSource(options.db, {
      consumer: options.consumer,
      ...sourceOptions,
      logger: options.logger.child({ component: 'change-log' }),
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    });
  switch (kind) {
    case 'change-log':
      return changeLog();
    case 'nats': {
      const servers = (sourceOptions as { servers?: unknown }).servers ?? options.natsUrl;
      if (servers === undefined) {
        throw new Error('source.kind is "nats" but neither source.servers nor NATS_URL is set');
      }
      const natsOptions = { ...sourceOptions, servers } as Parameters<typeof createNatsSource>[0];
      // The bridge drains the change log into the stream; the NATS source feeds the observers.
      const bridge = createNatsBridge({
        ...natsOptions,
        source: createChangeLogSource(options.db, {
          consumer: `${options.consumer}:nats-bridge`,
          logger: options.logger.child({ component: 'change-log' }),
        }),
        logger: options.logger.child({ component: 'nats-bridge' }),
      });
      cleanups.push(() => bridge.close());
      await bridge.start();
      reporters.push(bridge);
      return createNatsSource({
        ...natsOptions,
        logger: options.logger.child({ component: 'nats' }),
        ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
      });
    }
    case 'memory':
      throw new Error(
        'source.kind "memory" is for embedding observers in code (createMemorySource); the server reads the change log or NATS',
      );
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

function observersWithAsyncActions(config: ObserversConfig): string[] {
  return Object.entries(config.observers)
    .filter(
      ([, observer]) =>
        (observer as { async?: boolean }).async === true ||
        observer.actions.some(
          (action) => action.type === 'enqueue' || (action as { async?: boolean }).async === true,
        ),
    )
    .map(([name]) => name);
}
