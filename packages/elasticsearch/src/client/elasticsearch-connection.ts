import {
  parseDuration,
  redactUrl,
  ServiceHealthTracker,
  silentLogger,
  type DurationInput,
  type Logger,
  type ServiceHealth,
  type ServiceHealthReporter,
} from '@fraiseql/core';

import { ElasticsearchError } from '../errors.js';
import {
  noopElasticsearchMetrics,
  type ElasticsearchMetrics,
} from '../metrics/elasticsearch-metrics.js';
import type { ElasticsearchClientLike, TransportRequestParams } from './elasticsearch-client.js';
import { elasticsearchFailure, statusFailure } from './elasticsearch-failure.js';
import { serverInfoOf, type ServerInfo } from './server-info.js';

/** Credentials for a client this package creates. */
export type ElasticsearchAuth =
  | { readonly apiKey: string }
  | { readonly username: string; readonly password: string }
  | { readonly bearer: string };

/** Options of {@link createElasticsearchConnection}. */
export interface ElasticsearchConnectionOptions {
  /**
   * A client you created (`@elastic/elasticsearch` or `@opensearch-project/opensearch`); it is
   * not closed by `close()`. Set `maxRetries: 0` on it: this package retries by itself.
   */
  readonly client?: ElasticsearchClientLike | undefined;
  /** Server URL for a client this package creates (`@elastic/elasticsearch`, loaded on first use). */
  readonly node?: string | undefined;
  readonly auth?: ElasticsearchAuth | undefined;
  /** Extra options for the created client (TLS, `Connection` class, compression…). */
  readonly clientOptions?: Readonly<Record<string, unknown>> | undefined;
  /** Per-request timeout. @defaultValue `'30s'` */
  readonly requestTimeout?: DurationInput | undefined;
  /** @defaultValue `silentLogger` */
  readonly logger?: Logger | undefined;
  /** @defaultValue `noopElasticsearchMetrics` */
  readonly metrics?: ElasticsearchMetrics | undefined;
  /** Name in `health()` and the `service` label of `fraiseql_service_*`. @defaultValue `'elasticsearch'` */
  readonly name?: string | undefined;
}

/** One answered request. */
export interface ElasticsearchAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** Options of {@link ElasticsearchConnection.request}. */
export interface RequestOptions {
  readonly signal?: AbortSignal | undefined;
  /** Statuses returned as answers instead of thrown (404 for a delete, 409 for a version). */
  readonly accept?: readonly number[];
  /** Short description for errors and logs (`bulk`, `index Order/42`); never a URL. */
  readonly doing: string;
}

/**
 * A client plus what this package keeps about it: its connection state for `health()`, the
 * server's version and capabilities, metrics of the state. Shared by the sink, the `search`
 * action, template setup and analytics.
 */
export interface ElasticsearchConnection extends ServiceHealthReporter, AsyncDisposable {
  /**
   * Sends one request. Resolves with the answer for 2xx and `accept`ed statuses.
   *
   * @throws {ElasticsearchError} `UNAVAILABLE` / `TIMEOUT` (retryable), `REQUEST_REJECTED`,
   * `ABORTED`, `CLIENT_MISSING` or `CLOSED`.
   */
  request(params: TransportRequestParams, options: RequestOptions): Promise<ElasticsearchAnswer>;
  /** The server's product, version and capabilities (`GET /`, cached after the first answer). */
  serverInfo(options?: { readonly signal?: AbortSignal }): Promise<ServerInfo>;
  /**
   * Connection state from the last request: `up` after an answer (any HTTP status), `down`
   * after a connection failure or timeout (requests are plain HTTP: the next one reconnects),
   * `closed` after `close()`. The target is the node URL without credentials.
   */
  health(): ServiceHealth;
  /** Closes a client this connection created; later requests fail with `CLOSED`. */
  close(): Promise<void>;
}

interface ClientModule {
  Client: new (options: Record<string, unknown>) => ElasticsearchClientLike;
}

/**
 * Opens a connection: wraps `client`, or creates an `@elastic/elasticsearch` client for `node`
 * on the first request (the package is an optional peer, imported lazily).
 *
 * @throws {ElasticsearchError} `INVALID_ARGUMENT` when neither or both of `client` and `node`
 * are given.
 * @example
 * const es = createElasticsearchConnection({ node: 'http://127.0.0.1:9200' });
 */
export function createElasticsearchConnection(
  options: ElasticsearchConnectionOptions,
): ElasticsearchConnection {
  if ((options.client === undefined) === (options.node === undefined)) {
    throw new ElasticsearchError(
      'INVALID_ARGUMENT',
      'createElasticsearchConnection: give exactly one of `client` and `node`',
    );
  }
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? noopElasticsearchMetrics;
  const requestTimeout = parseDuration(options.requestTimeout ?? '30s');
  let client: Promise<ElasticsearchClientLike> | undefined =
    options.client === undefined ? undefined : Promise.resolve(options.client);
  const owned = options.client === undefined;
  let info: ServerInfo | undefined;
  let closed = false;
  const tracker = new ServiceHealthTracker({
    name: options.name ?? 'elasticsearch',
    kind: 'elasticsearch',
    target: options.node === undefined ? undefined : redactUrl(options.node),
  });
  tracker.onChange((health) => {
    metrics.serviceState(health);
    if (health.state === 'up') logger.info({ target: health.target }, 'elasticsearch: reachable');
    if (health.state === 'down') {
      logger.warn({ error: health.lastError?.message }, 'elasticsearch: unreachable');
    }
  });
  metrics.serviceState(tracker.snapshot());

  const getClient = (): Promise<ElasticsearchClientLike> => {
    client ??= loadClient(options).catch((error: unknown) => {
      client = undefined;
      throw error;
    });
    return client;
  };

  const request = async (
    params: TransportRequestParams,
    requestOptions: RequestOptions,
  ): Promise<ElasticsearchAnswer> => {
    if (closed) throw new ElasticsearchError('CLOSED', `${requestOptions.doing}: closed`);
    const accept = requestOptions.accept ?? [];
    const es = await getClient();
    let response;
    try {
      response = await es.transport.request(params, {
        meta: true,
        maxRetries: 0,
        requestTimeout,
        ...(accept.length === 0 ? {} : { ignore: [...accept] }),
        ...(requestOptions.signal === undefined ? {} : { signal: requestOptions.signal }),
      });
    } catch (error) {
      const failure = elasticsearchFailure(error, requestOptions.doing, requestOptions.signal);
      if (failure.reason === 'network' || failure.reason === 'timeout') {
        tracker.down(failure);
      } else if (failure.status !== undefined) {
        tracker.up();
      }
      throw failure;
    }
    tracker.up();
    const status = response.statusCode ?? 200;
    if ((status < 200 || status >= 300) && !accept.includes(status)) {
      throw statusFailure(status, response.body, requestOptions.doing);
    }
    return { status, body: response.body };
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    tracker.closed();
    const current = client;
    if (owned && current !== undefined) {
      try {
        await (await current).close?.();
      } catch (error) {
        logger.warn({ error: String(error) }, 'elasticsearch: closing the client failed');
      }
    }
  };

  return {
    request,
    async serverInfo(infoOptions = {}) {
      if (info !== undefined) return info;
      const answer = await request(
        { method: 'GET', path: '/' },
        { doing: 'read server info', signal: infoOptions.signal },
      );
      info = serverInfoOf(answer.body);
      return info;
    },
    health: () => tracker.snapshot(),
    services: () => tracker.services(),
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function loadClient(
  options: ElasticsearchConnectionOptions,
): Promise<ElasticsearchClientLike> {
  let module: ClientModule;
  try {
    module = await import('@elastic/elasticsearch');
  } catch (cause) {
    throw new ElasticsearchError(
      'CLIENT_MISSING',
      'the Elasticsearch client is not installed: npm install @elastic/elasticsearch',
      { cause },
    );
  }
  return new module.Client({
    node: options.node,
    maxRetries: 0,
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    ...options.clientOptions,
  });
}
