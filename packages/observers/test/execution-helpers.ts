// Shared pieces of the execution, dead-letter and dedup suites: a local HTTP receiver, a small
// HTTP action executor with the standard error classification, a recording metrics seam and
// event and observer builders.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EntityEvent, LogFields, Logger } from '@fraiseql/core';
import type { ActionExecutor } from '../src/actions/action-executor.js';
import { ObserverError } from '../src/errors.js';
import type {
  ExecutableAction,
  ExecutableObserver,
  ObserverLookup,
} from '../src/execution/executable-observer.js';
import type { BreakerState, ObserverMetrics } from '../src/metrics/observer-metrics.js';

export interface ReceivedRequest {
  readonly at: number;
  readonly path: string;
  readonly body: string;
}

export interface Receiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Decides the answer of each request. */
  respond: (request: ReceivedRequest) => { status: number; headers?: Record<string, string> };
  close(): Promise<void>;
}

/** A node:http server on a free loopback port that records every request. */
export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const receiver: Receiver = {
    url: '',
    requests,
    respond: () => ({ status: 204 }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        at: performance.now(),
        path: req.url ?? '/',
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      const answer = receiver.respond(request);
      res.writeHead(answer.status, answer.headers);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, { url: `http://127.0.0.1:${port}` });
}

export interface HttpActionConfig {
  readonly type: 'http-post';
  readonly url: string;
  readonly timeout?: number;
}

/**
 * POSTs the event id to `config.url` with the classification the webhook action uses: network
 * errors, 408, 429 and 5xx retryable (with `Retry-After`), other 4xx permanent.
 */
export const httpPostAction: ActionExecutor = {
  type: 'http-post',
  endpoint: (action) => new URL((action as HttpActionConfig).url).host,
  async execute(action, context) {
    const config = action as HttpActionConfig;
    let response: Response;
    try {
      response = await fetch(config.url, {
        method: 'POST',
        body: JSON.stringify({ id: context.event.id, entityId: context.event.entityId }),
        signal: context.signal,
      });
    } catch (error) {
      throw new ObserverError('ACTION_FAILED', `POST ${config.url}: ${String(error)}`, {
        cause: error,
        retryable: true,
        errorType: 'network',
      });
    }
    await response.arrayBuffer();
    if (response.ok) return { summary: `POST ${new URL(config.url).host} ${response.status}` };
    const status = response.status;
    const retryAfter = response.headers.get('retry-after');
    throw new ObserverError('ACTION_FAILED', `POST ${config.url} answered ${status}`, {
      retryable: status >= 500 || status === 408 || status === 429,
      ...(retryAfter === null ? {} : { retryAfterMs: Number(retryAfter) * 1000 }),
      errorType: status >= 500 ? 'http_5xx' : `http_${status}`,
    });
  },
};

/** A function action: `config.name` picks a handler from `handlers`. */
export function functionActions(
  handlers: Record<string, (event: EntityEvent, signal: AbortSignal) => Promise<void>>,
): ActionExecutor {
  return {
    type: 'function',
    async execute(action, context) {
      const config = action as { readonly type: 'function'; readonly name: string };
      const handler = handlers[config.name];
      if (handler === undefined) throw new ObserverError('ACTION_UNSUPPORTED', config.name);
      await handler(context.event, context.signal);
      return { summary: `${config.name} ok` };
    },
  };
}

/** An action registry slice over a fixed set of executors. */
export function registryOf(...executors: ActionExecutor[]): {
  get(type: string): ActionExecutor | undefined;
} {
  const byType = new Map(executors.map((executor) => [executor.type, executor]));
  return { get: (type) => byType.get(type) };
}

/** An observer as tests write it: actions may carry their own config fields. */
export type TestObserver = Omit<ExecutableObserver, 'actions'> & {
  readonly entity?: string;
  readonly actions: readonly (ExecutableAction & Readonly<Record<string, unknown>>)[];
};

/** A matcher slice: every observer whose `entity` is the event's entity type (or `*`). */
export function matcherOf(observers: readonly TestObserver[]): ObserverLookup {
  return {
    match: (event) =>
      observers.filter(
        (o) => o.entity === undefined || o.entity === '*' || o.entity === event.entityType,
      ),
    get: (name) => observers.find((o) => o.name === name),
  };
}

let seq = 0n;

/** An event with fresh id and sequence. */
export function makeEvent(overrides: Partial<EntityEvent> = {}): EntityEvent {
  seq += 1n;
  return {
    id: randomUUID(),
    seq,
    eventType: 'INSERT',
    entityType: 'order',
    entityId: '1',
    data: { total: 10 },
    timestamp: new Date(),
    ...overrides,
  };
}

/** An {@link ObserverMetrics} that counts calls and keeps breaker transitions with their time. */
export function recordingMetrics(): ObserverMetrics & {
  readonly counts: Record<string, number>;
  readonly breaker: { endpoint: string; state: BreakerState; at: number }[];
  readonly dlq: number[];
  readonly failedTypes: string[];
} {
  const counts: Record<string, number> = {};
  const breaker: { endpoint: string; state: BreakerState; at: number }[] = [];
  const dlq: number[] = [];
  const failedTypes: string[] = [];
  const count = (name: string) => () => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  return {
    counts,
    breaker,
    dlq,
    failedTypes,
    sourceBatch: count('sourceBatch'),
    captureLag: count('captureLag'),
    backlog: count('backlog'),
    eventProcessed: count('eventProcessed'),
    eventFailed: (type) => {
      failedTypes.push(type);
      count('eventFailed')();
    },
    malformedEvent: count('malformedEvent'),
    actionExecuted: count('actionExecuted'),
    actionFailed: count('actionFailed'),
    actionRetried: count('actionRetried'),
    dedupDetected: count('dedupDetected'),
    dedupProcessingSkipped: count('dedupProcessingSkipped'),
    cacheHit: count('cacheHit'),
    cacheMiss: count('cacheMiss'),
    cacheEviction: count('cacheEviction'),
    dlqItems: (n) => dlq.push(n),
    breakerState: (endpoint, state) => breaker.push({ endpoint, state, at: performance.now() }),
    natsPending: count('natsPending'),
    natsRedelivered: count('natsRedelivered'),
    invocationsWritten: (n) => {
      counts.invocationsWritten = (counts.invocationsWritten ?? 0) + n;
    },
    invocationsDropped: (_reason, n) => {
      counts.invocationsDropped = (counts.invocationsDropped ?? 0) + n;
    },
  };
}

/** A {@link Logger} that keeps every line. */
export function capturingLogger(): Logger & {
  readonly lines: { level: string; fields: LogFields; message: string }[];
} {
  const lines: { level: string; fields: LogFields; message: string }[] = [];
  const at = (level: string) => (fields: LogFields, message: string) => {
    lines.push({ level, fields, message });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
