import {
  ServiceHealthTracker,
  silentLogger,
  type Logger,
  type ServiceHealth,
} from '@fraiseql/core';
import type { z } from 'zod';
import {
  builtinActionSchemas,
  EXTENSION_ACTION_PACKAGES,
  type ActionConfig,
} from '../config/action-config.js';
import { ObserverError } from '../errors.js';
import { createTemplateRenderer } from '../templates/create-template-renderer.js';
import { createHttpPool, type HttpPoolOptions } from '../net/http-pool.js';
import type { ActionContext, ActionExecutor, ActionResult } from './action-executor.js';
import { createCacheAction } from './cache-action.js';
import { createEmailAction } from './email-action.js';
import type { MailTransportFactory } from './mail-transport.js';
import { createFunctionAction, type FunctionActionHandler } from './function-action.js';
import { createSlackAction } from './slack-action.js';
import { openIoredis, type OwnedRedis } from './redis-client.js';
import type { TemplateRenderer } from './template-renderer.js';
import { createWebhookAction } from './webhook-action.js';

/** Config of an action type another package registered (`search`, `enqueue`, ...). */
export interface ExtensionActionConfig {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** Any action config the registry can be asked to run. */
export type AnyActionConfig = ActionConfig | ExtensionActionConfig;

/** Options for {@link createActionRegistry}. */
export interface ActionRegistryOptions {
  /** @defaultValue `silentLogger` */
  readonly logger?: Logger | undefined;
  /**
   * Fills `{{ path }}` templates.
   * @defaultValue `createTemplateRenderer()` (each template compiled once)
   */
  readonly templates?: TemplateRenderer | undefined;
  /** Keep-alive pool settings for `webhook` and `slack`. */
  readonly http?: HttpPoolOptions | undefined;
  /**
   * Redis URL for `cache` actions that name none.
   * @defaultValue `env.REDIS_URL`
   */
  readonly redisUrl?: string | undefined;
  /**
   * Opens a Redis client for a URL; the registry shares one client per URL and quits it on
   * `close()`.
   * @defaultValue an ioredis client (an optional peer, imported on first use)
   */
  readonly redis?: ((url: string) => Promise<OwnedRedis>) | undefined;
  /**
   * SMTP transport factory for `email`.
   * @defaultValue nodemailer (an optional peer, imported on first use)
   */
  readonly mailTransport?: MailTransportFactory | undefined;
  /** @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /**
   * Clock for `webhook-timestamp`, in milliseconds.
   * @defaultValue `Date.now`
   */
  readonly now?: (() => number) | undefined;
}

/**
 * The action types an observer can use, and the resources they share (one HTTP pool, one Redis
 * client per URL). Other packages add types with `register` (`search` from
 * `@fraiseql/elasticsearch`, `enqueue` from `@fraiseql/job-queue`).
 */
export interface ActionRegistry extends AsyncDisposable {
  /**
   * Adds an action type, with the zod schema config validation uses for it.
   *
   * @throws {ObserverError} `INVALID_ARGUMENT` when the type is already registered.
   */
  register(executor: ActionExecutor, schema?: z.ZodType): void;
  /**
   * Registers the handler that `function` actions with this `name` call.
   *
   * @throws {ObserverError} `INVALID_ARGUMENT` when the name is taken or empty.
   */
  registerFunction(name: string, handler: FunctionActionHandler): void;
  /** Same as {@link ActionRegistry.registerFunction}. */
  registerAction(name: string, handler: FunctionActionHandler): void;
  /** The executor of a type, if registered. */
  get(type: string): ActionExecutor | undefined;
  /** Every registered action type, sorted. */
  knownTypes(): string[];
  /** The config schema registered with a type, if any. */
  schemaFor(type: string): z.ZodType | undefined;
  /** The names of registered function handlers, sorted. */
  functionNames(): string[];
  /**
   * Runs one action attempt with the executor of its type.
   *
   * @throws {ObserverError} `ACTION_UNSUPPORTED` (permanent) for an unknown type, or the
   * executor's classified failure.
   */
  execute(config: AnyActionConfig, context: ActionContext): Promise<ActionResult>;
  /** The circuit-breaker key of an action (`host:port`), if its type has one. */
  endpoint(config: AnyActionConfig): string | undefined;
  /**
   * The connections the built-in actions opened, once used: `redis:cache` (the cache action's
   * Redis: `down` when it could not connect, `reconnecting` while lost, `up`) and `smtp` (the
   * email action's server, from the last send: `down` when unreachable, `up` when it answered).
   * Webhook and Slack calls share an HTTP pool to many hosts: their per-endpoint state is the
   * circuit breakers'. Pass the registry as a `services` reporter of the observers runtime.
   */
  services(): readonly ServiceHealth[];
  /** Closes the HTTP pool, Redis clients and executors; later `execute` calls fail. */
  close(): Promise<void>;
}

/**
 * Creates a registry with the built-in `webhook`, `slack`, `email`, `cache` and `function`
 * types.
 *
 * @example
 * const registry = createActionRegistry();
 * registry.registerFunction('audit', async (event) => { await audit.write(event); });
 */
export function createActionRegistry(options: ActionRegistryOptions = {}): ActionRegistry {
  const templates = options.templates ?? createTemplateRenderer();
  const logger = options.logger ?? silentLogger;
  const env = options.env ?? process.env;
  const executors = new Map<string, ActionExecutor>();
  const schemas = new Map<string, z.ZodType>();
  const functions = new Map<string, FunctionActionHandler>();
  const redisClients = new Map<string, Promise<OwnedRedis>>();
  const pool = createHttpPool(options.http);
  const redisHealth = new ServiceHealthTracker({ name: 'redis:cache', kind: 'redis' });
  const smtpHealth = new ServiceHealthTracker({ name: 'smtp', kind: 'smtp' });
  const used = new Set<ServiceHealthTracker>();
  const openRedis = options.redis ?? ((url: string) => openIoredis(url, logger, redisHealth));
  let closed = false;

  const redisFor = (url: string | undefined): Promise<OwnedRedis> => {
    const resolved = url ?? options.redisUrl ?? env.REDIS_URL;
    if (resolved === undefined || resolved === '') {
      return Promise.reject(
        new ObserverError(
          'CONFIG_INVALID',
          'cache: no Redis URL; set redisUrl on the action, the top-level redis.url or REDIS_URL',
          { retryable: false, errorType: 'config' },
        ),
      );
    }
    let client = redisClients.get(resolved);
    if (client === undefined) {
      client = openRedis(resolved);
      used.add(redisHealth);
      client.then(
        () => {
          redisHealth.up();
        },
        (error: unknown) => {
          redisHealth.down(error);
        },
      );
      redisClients.set(resolved, client);
      // A failed connect is not cached: the next attempt opens a new client.
      client.catch(() => redisClients.delete(resolved));
    }
    return client;
  };

  const register = (executor: ActionExecutor, schema?: z.ZodType): void => {
    if (executors.has(executor.type)) {
      throw new ObserverError(
        'INVALID_ARGUMENT',
        `action type "${executor.type}" is already registered`,
      );
    }
    executors.set(executor.type, executor);
    if (schema !== undefined) schemas.set(executor.type, schema);
  };

  const registerFunction = (name: string, handler: FunctionActionHandler): void => {
    if (name === '') throw new ObserverError('INVALID_ARGUMENT', 'registerFunction: empty name');
    if (functions.has(name)) {
      throw new ObserverError('INVALID_ARGUMENT', `function "${name}" is already registered`);
    }
    functions.set(name, handler);
  };

  register(
    createWebhookAction({ pool, templates, ...nowOption(options) }),
    builtinActionSchemas.webhook,
  );
  register(createSlackAction({ pool, templates }), builtinActionSchemas.slack);
  register(
    createEmailAction({
      templates,
      ...(options.mailTransport === undefined ? {} : { transport: options.mailTransport }),
      onServerResult: (error) => {
        used.add(smtpHealth);
        if (error === undefined) smtpHealth.up();
        else smtpHealth.down(error);
      },
    }),
    builtinActionSchemas.email,
  );
  register(createCacheAction({ templates, redis: redisFor }), builtinActionSchemas.cache);
  register(
    createFunctionAction((name) => functions.get(name)),
    builtinActionSchemas.function,
  );

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    const clients = [...redisClients.values()];
    redisClients.clear();
    redisHealth.closed();
    smtpHealth.closed();
    const results = await Promise.allSettled([
      pool.close(),
      ...clients.map(async (client) => (await client).quit()),
      ...[...executors.values()].map(async (executor) => executor.close?.()),
    ]);
    for (const result of results) {
      if (result.status === 'rejected') {
        logger.warn(
          { error: String(result.reason) },
          'action registry: a resource failed to close',
        );
      }
    }
  };

  return {
    register,
    registerFunction,
    registerAction: registerFunction,
    get: (type) => executors.get(type),
    knownTypes: () => [...executors.keys()].sort(),
    schemaFor: (type) => schemas.get(type),
    functionNames: () => [...functions.keys()].sort(),
    async execute(config, context) {
      if (closed) throw new ObserverError('CLOSED', 'the action registry is closed');
      const executor = executors.get(config.type);
      if (executor === undefined) throw unsupported(config.type, executors);
      return executor.execute(config, context);
    },
    endpoint: (config) => executors.get(config.type)?.endpoint?.(config),
    services: () => [...used].map((tracker) => tracker.snapshot()),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function unsupported(type: string, executors: ReadonlyMap<string, ActionExecutor>): ObserverError {
  const pkg = EXTENSION_ACTION_PACKAGES[type];
  const message =
    pkg === undefined
      ? `action type "${type}" is not supported; known types: ${[...executors.keys()].sort().join(', ')}`
      : `action type "${type}" needs ${pkg}: npm install ${pkg}`;
  return new ObserverError('ACTION_UNSUPPORTED', message, {
    retryable: false,
    errorType: 'config',
  });
}

function nowOption(options: ActionRegistryOptions): { now?: () => number } {
  return options.now === undefined ? {} : { now: options.now };
}
