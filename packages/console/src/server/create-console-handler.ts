import {
  parseDuration,
  silentLogger,
  type AdminAuth,
  type DurationInput,
  type Logger,
  type SqlClient,
} from '@fraiseql/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConsoleError, isConsoleError } from '../errors.js';
import { parseEventFilter } from './event-filter.js';
import { sampleEventRate, type EventRate, type MetricsSource } from './event-rate.js';
import { streamEvents } from './event-stream.js';
import { parsePosition } from './event-tail.js';
import { loadStaticAssets } from './static-assets.js';

/** Options of {@link createConsoleHandler}. */
export interface ConsoleHandlerOptions {
  /**
   * The admin check shared with the admin API (core's `createAdminAuth`): the same tokens,
   * roles and host rules guard the console's own API and live stream.
   */
  readonly auth: AdminAuth;
  /** The database whose change log the Events page streams; without it the page says so. */
  readonly db?: SqlClient | undefined;
  /**
   * The Prometheus registry the observers report to (`createMetricsRegistry()`); the Health page
   * shows events per second from it. Without it the chart is left out.
   */
  readonly metrics?: MetricsSource | undefined;
  /**
   * Path the console is mounted at.
   * @defaultValue `'/console'`
   */
  readonly basePath?: string;
  /**
   * Path of the admin API the pages call (observers, dead letters, queues), on the same origin.
   * @defaultValue `'/admin'`
   */
  readonly adminPath?: string;
  /**
   * Path of the health report (`runtime.health()` as JSON) on the same origin.
   * @defaultValue `'/health'`
   */
  readonly healthPath?: string;
  /**
   * Pause between change-log reads of a live stream when it is caught up.
   * @defaultValue `'1s'`
   */
  readonly pollInterval?: DurationInput;
  /**
   * A live stream with nothing to send writes a comment line this often, so proxies and the
   * browser keep the connection open.
   * @defaultValue `'15s'`
   */
  readonly heartbeatInterval?: DurationInput;
  /**
   * Live streams open at once; more are refused with 503.
   * @defaultValue `16`
   */
  readonly maxStreams?: number;
  /**
   * Events a new stream starts with (the most recent matching ones).
   * @defaultValue `50`
   */
  readonly recentEvents?: number;
  /**
   * Counter summed for the events-per-second chart.
   * @defaultValue `'fraiseql_observer_events_processed_total'`
   */
  readonly rateMetric?: string;
  /**
   * Gauge whose largest value is charted as the capture lag next to the rate.
   * @defaultValue `'fraiseql_observer_capture_lag_seconds'`
   */
  readonly lagMetric?: string;
  /**
   * How often the rate is sampled; 720 samples are kept (an hour at the default).
   * @defaultValue `'5s'`
   */
  readonly rateInterval?: DurationInput;
  /** Where failing change-log reads are reported. @defaultValue silent */
  readonly logger?: Logger;
}

/** A `node:http` request listener serving the console under its base path. */
export interface ConsoleHandler {
  (request: IncomingMessage, response: ServerResponse): Promise<void>;
  /** The path it answers under (`/console`). */
  readonly basePath: string;
  /** Ends the live streams and the rate sampler. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

/**
 * Creates the operator console's handler: the built web app (its pages load without a token but
 * show nothing until one is given, and call the API with it as `Authorization: Bearer`), the
 * session check, the live change-log stream as Server-Sent Events, and the event rate. Mount it
 * where you route `basePath` and below; it answers 404 elsewhere. The pages read and change
 * observers and dead letters through the admin API at `adminPath`, which enforces the same
 * tokens and roles.
 *
 * @throws {ConsoleError} `ASSETS_MISSING` when the built app is not in the package;
 *   `INVALID_ARGUMENT` for a bad option.
 */
export function createConsoleHandler(options: ConsoleHandlerOptions): ConsoleHandler {
  const basePath = normalisePath(options.basePath ?? '/console', 'basePath');
  const adminPath = normalisePath(options.adminPath ?? '/admin', 'adminPath');
  const healthPath = normalisePath(options.healthPath ?? '/health', 'healthPath');
  const pollMs = parseDuration(options.pollInterval ?? '1s', 'pollInterval');
  const heartbeatMs = parseDuration(options.heartbeatInterval ?? '15s', 'heartbeatInterval');
  const maxStreams = positiveInteger(options.maxStreams ?? 16, 'maxStreams');
  const recent = positiveInteger(options.recentEvents ?? 50, 'recentEvents');
  const logger = options.logger ?? silentLogger;
  const assets = loadStaticAssets();
  const rate: EventRate | undefined =
    options.metrics === undefined
      ? undefined
      : sampleEventRate(
          options.metrics,
          options.rateMetric ?? 'fraiseql_observer_events_processed_total',
          parseDuration(options.rateInterval ?? '5s', 'rateInterval'),
          720,
          options.lagMetric ?? 'fraiseql_observer_capture_lag_seconds',
        );
  const streams = new Set<AbortController>();
  let closed = false;

  const sendJson = (response: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      ...SECURITY_HEADERS,
    });
    response.end(text);
  };

  const handler = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path !== basePath && !path.startsWith(`${basePath}/`)) {
      sendJson(response, 404, { error: `not under ${basePath}` });
      return;
    }
    const hostProblem = options.auth.checkHost(request);
    if (hostProblem !== undefined && !hostProblem.ok) {
      sendJson(response, hostProblem.status, { error: hostProblem.message });
      return;
    }
    const method = request.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      sendJson(response, 405, { error: `${method} is not served under ${basePath}` });
      return;
    }
    const rest = path.slice(basePath.length);
    if (rest === '') {
      response.writeHead(308, { location: `${basePath}/`, ...SECURITY_HEADERS });
      response.end();
      return;
    }
    if (rest.startsWith('/api/')) {
      const check = options.auth.check(request);
      if (!check.ok) {
        sendJson(response, check.status, { error: check.message });
        return;
      }
      switch (rest) {
        case '/api/session':
          sendJson(response, 200, {
            name: check.principal.name,
            role: check.principal.role,
            adminPath,
            healthPath,
            events: options.db !== undefined,
            rates: rate !== undefined,
          });
          return;
        case '/api/rates':
          if (rate === undefined) {
            sendJson(response, 404, { error: 'no metrics registry was given to the console' });
            return;
          }
          sendJson(response, 200, {
            metric: rate.metric,
            intervalSeconds: rate.intervalSeconds,
            samples: rate.samples(),
          });
          return;
        case '/api/events':
          await events(request, response, url);
          return;
        default:
          sendJson(response, 404, { error: `no console API ${rest}` });
          return;
      }
    }
    const key = rest === '/' ? 'index.html' : rest.slice(1);
    const asset = assets.get(key);
    if (asset === undefined) {
      sendJson(response, 404, { error: `no console file ${rest}` });
      return;
    }
    response.writeHead(200, {
      'content-type': asset.contentType,
      'content-length': asset.body.length,
      'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-store',
      ...SECURITY_HEADERS,
    });
    response.end(method === 'HEAD' ? undefined : asset.body);
  };

  const events = async (
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
  ): Promise<void> => {
    if (options.db === undefined) {
      sendJson(response, 404, { error: 'no database was given to the console' });
      return;
    }
    let filter;
    try {
      filter = parseEventFilter(url.searchParams);
    } catch (error) {
      if (isConsoleError(error, 'INVALID_ARGUMENT')) {
        sendJson(response, 400, { error: error.message });
        return;
      }
      throw error;
    }
    if (closed || streams.size >= maxStreams) {
      sendJson(response, 503, { error: `at most ${maxStreams} live streams at once` });
      return;
    }
    const controller = new AbortController();
    streams.add(controller);
    const stop = (): void => {
      controller.abort();
    };
    request.once('close', stop);
    response.once('close', stop);
    try {
      const lastEventId = request.headers['last-event-id'];
      await streamEvents(response, {
        db: options.db,
        filter,
        after: parsePosition(typeof lastEventId === 'string' ? lastEventId : undefined),
        recent,
        pollMs,
        heartbeatMs,
        signal: controller.signal,
        logger,
      });
    } finally {
      streams.delete(controller);
      request.off('close', stop);
      response.off('close', stop);
    }
  };

  const close = (): Promise<void> => {
    closed = true;
    rate?.close();
    for (const stream of streams) stream.abort();
    return Promise.resolve();
  };
  return Object.assign(handler, { basePath, close, [Symbol.asyncDispose]: close });
}

function normalisePath(path: string, name: string): string {
  if (!/^(\/[A-Za-z0-9._~-]+)+\/?$/.test(path)) {
    throw new ConsoleError(
      'INVALID_ARGUMENT',
      `${name}: expected an absolute URL path like "/console", got ${JSON.stringify(path)}`,
    );
  }
  return path.length > 1 ? path.replace(/\/$/, '') : path;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConsoleError(
      'INVALID_ARGUMENT',
      `${name}: expected a positive integer, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
