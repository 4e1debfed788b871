// The end-to-end suites drive the package the way an application does: only through the built
// `@fraiseql/observers` and `@fraiseql/core` entry points, from real writes to a captured table.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  connectDatabase,
  coreMigrations,
  installCapture,
  migrate,
  type EntityEvent,
  type SqlClient,
} from '@fraiseql/core';
import {
  createActionRegistry,
  createChangeLogSource,
  createDeadLetterQueue,
  createMatcher,
  createObserverDefinitions,
  createObserverExecutor,
  createObserverRuntime,
  noopObserverMetrics,
  observerMigrations,
  parseObserversConfig,
  type ActionRegistry,
  type ActionRegistryOptions,
  type BreakerState,
  type ChangeLogSource,
  type DeadLetterQueue,
  type EventHandler,
  type ObserverExecutor,
  type ObserverExecutorOptions,
  type ObserverMatcher,
  type ObserverMetrics,
  type ObserverRuntime,
  type ObserverRuntimeConfig,
} from '@fraiseql/observers';
import { createTestDatabase, waitFor, type ServiceHandle } from '@fraiseql/testing';

/** The captured table every suite writes to (entity type `Order`). */
export const ORDER_TABLE_DDL = `
CREATE TABLE tb_order (
  id text PRIMARY KEY,
  status text NOT NULL DEFAULT 'pending',
  total integer NOT NULL DEFAULT 0,
  email text,
  version integer NOT NULL DEFAULT 0
)`;

/** Runs the core and observers migrations, creates `tb_order` and captures it. */
export async function prepareOrders(db: SqlClient): Promise<void> {
  await migrate(db, { sets: [coreMigrations, observerMigrations] });
  await db.exec(ORDER_TABLE_DDL);
  await installCapture(db, { table: 'tb_order', entityType: 'Order', idColumn: 'id' });
}

/** A fresh PostgreSQL database with `tb_order` captured. */
export interface OrderDatabase {
  readonly db: SqlClient;
  close(): Promise<void>;
}

/** Creates a brand-new database on `pg` and prepares it with {@link prepareOrders}. */
export async function openOrderDatabase(pg: ServiceHandle): Promise<OrderDatabase> {
  const database = await createTestDatabase(pg);
  const db = await connectDatabase({ url: database.url });
  try {
    await prepareOrders(db);
  } catch (error) {
    await db.close();
    await database.close();
    throw error;
  }
  return {
    db,
    close: async () => {
      await db.close();
      await database.close();
    },
  };
}

/** Options of {@link startObservers}. */
export interface StartObserversOptions {
  /** The observers config as YAML text. */
  readonly yaml: string;
  /** Registers function handlers before the config is parsed. */
  readonly setup?: (registry: ActionRegistry) => void;
  readonly registryOptions?: ActionRegistryOptions;
  readonly executor?: Partial<Omit<ObserverExecutorOptions, 'matcher' | 'registry' | 'dlq'>>;
  readonly runtime?: ObserverRuntimeConfig;
  /** Durable consumer name. @defaultValue `'e2e'` */
  readonly consumer?: string;
  /** Wraps the executor as the runtime's handler. */
  readonly handler?: (executor: ObserverExecutor) => EventHandler;
  /** Environment the config reads. @defaultValue `{}` */
  readonly env?: Readonly<Record<string, string>>;
}

/** The pieces the reference server composes, running against one database. */
export interface ObserverStack {
  readonly registry: ActionRegistry;
  readonly matcher: ObserverMatcher;
  readonly dlq: DeadLetterQueue;
  readonly executor: ObserverExecutor;
  readonly source: ChangeLogSource;
  readonly runtime: ObserverRuntime;
  /** Closes runtime, executor and registry (in that order). */
  close(): Promise<void>;
}

/**
 * Composes registry → config → matcher → dead-letter queue → executor → change-log source →
 * runtime, as `apps/server` does, and starts the runtime.
 */
export async function startObservers(
  db: SqlClient,
  options: StartObserversOptions,
): Promise<ObserverStack> {
  const registry = createActionRegistry(options.registryOptions ?? {});
  options.setup?.(registry);
  const config = parseObserversConfig(options.yaml, {
    format: 'yaml',
    fileName: 'observers.yaml',
    registry,
    env: options.env ?? {},
    envPrefix: false,
  });
  const matcher = createMatcher(createObserverDefinitions(config));
  const dlq = createDeadLetterQueue(db);
  const executor = createObserverExecutor({ ...options.executor, matcher, registry, dlq });
  const source = createChangeLogSource(db, {
    consumer: options.consumer ?? 'e2e',
    pollInterval: '1s',
  });
  const runtime = createObserverRuntime({
    ...options.runtime,
    sources: source,
    handler: options.handler?.(executor) ?? executor,
  });
  await runtime.start();
  return {
    registry,
    matcher,
    dlq,
    executor,
    source,
    runtime,
    close: async () => {
      await runtime.close();
      await executor.close();
      await registry.close();
    },
  };
}

/** Waits until every committed change-log row has been handled and no handler runs. */
export async function drained(runtime: ObserverRuntime, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    async () => {
      const health = await runtime.health();
      return health.lagEvents === 0 && health.inFlight === 0 && health.queued === 0;
    },
    { timeoutMs, message: 'runtime drained' },
  );
}

/** The id of the change-log row (the event id) of the latest change to one order. */
export async function lastEventId(db: SqlClient, orderId: string): Promise<string> {
  const result = await db.query<{ id: string }>(
    `SELECT id::text AS id FROM core.tb_entity_change_log
      WHERE object_type = 'Order' AND object_id = $1
      ORDER BY pk_entity_change_log DESC LIMIT 1`,
    [orderId],
  );
  const id = result.rows[0]?.id;
  if (id === undefined) throw new Error(`no change-log row for order ${orderId}`);
  return id;
}

/** An {@link ObserverMetrics} that keeps breaker transitions and dedup counts. */
export function recordingMetrics(
  onBreaker?: (endpoint: string, state: BreakerState) => void,
): ObserverMetrics & {
  readonly breakers: { endpoint: string; state: BreakerState }[];
  readonly counts: Record<string, number>;
} {
  const breakers: { endpoint: string; state: BreakerState }[] = [];
  const counts: Record<string, number> = {};
  const count = (name: string) => (): void => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  return {
    ...noopObserverMetrics,
    breakers,
    counts,
    breakerState: (endpoint, state) => {
      breakers.push({ endpoint, state });
      onBreaker?.(endpoint, state);
    },
    dedupDetected: count('dedupDetected'),
    dedupProcessingSkipped: count('dedupProcessingSkipped'),
    cacheHit: count('cacheHit'),
    cacheMiss: count('cacheMiss'),
    actionExecuted: count('actionExecuted'),
  };
}

/** A compact record of an event a function action saw. */
export interface SeenEvent {
  readonly id: string;
  readonly eventType: string;
  readonly entityId: string;
  readonly data: EntityEvent['data'];
}

/** Reduces an event to what assertions compare. */
export function seen(event: EntityEvent): SeenEvent {
  return { id: event.id, eventType: event.eventType, entityId: event.entityId, data: event.data };
}

/** One request a {@link WebhookReceiver} got. */
export interface ReceivedWebhook {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A node:http server on 127.0.0.1 that records requests and answers with `status`. */
export interface WebhookReceiver {
  readonly url: string;
  readonly requests: ReceivedWebhook[];
  /** Status of the next answers. @defaultValue 204 */
  status: number;
  close(): Promise<void>;
}

/** Starts a {@link WebhookReceiver} on a free loopback port. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers[name] = value;
      }
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(receiver.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: WebhookReceiver = {
    url: `http://127.0.0.1:${String(port)}`,
    requests,
    status: 204,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return receiver;
}

/** A captured order database, a webhook receiver and observers whose config targets it. */
export interface WebhookStack {
  readonly db: SqlClient;
  readonly receiver: WebhookReceiver;
  readonly stack: ObserverStack;
  /** Closes the observers, the receiver and the database (in that order). */
  close(): Promise<void>;
}

/**
 * Opens an order database on `pg` and a webhook receiver, then starts observers with the options
 * `options` builds for that receiver (its URL goes into the config).
 */
export async function startWebhookStack(
  pg: ServiceHandle,
  options: (receiver: WebhookReceiver) => StartObserversOptions,
): Promise<WebhookStack> {
  const database = await openOrderDatabase(pg);
  let receiver: WebhookReceiver | undefined;
  try {
    receiver = await startWebhookReceiver();
    const stack = await startObservers(database.db, options(receiver));
    const started = receiver;
    return {
      db: database.db,
      receiver: started,
      stack,
      close: async () => {
        await stack.close();
        await started.close();
        await database.close();
      },
    };
  } catch (error) {
    await receiver?.close();
    await database.close();
    throw error;
  }
}
