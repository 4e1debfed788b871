import { isIP } from 'node:net';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { ObserverError } from '../errors.js';
import { createSsrfGuard, type ResolveAll } from './ssrf-guard.js';

/** Options for {@link createHttpPool}. */
export interface HttpPoolOptions {
  /**
   * Idle time after which a kept-alive connection is closed, in milliseconds.
   * @defaultValue `30_000`
   */
  readonly keepAliveTimeout?: number | undefined;
  /**
   * Maximum connections per origin.
   * @defaultValue `32`
   */
  readonly connections?: number | undefined;
  /**
   * TCP + TLS connect timeout, in milliseconds (the request's own timeout still applies).
   * @defaultValue `10_000`
   */
  readonly connectTimeout?: number | undefined;
  /**
   * Name resolution used by the SSRF guard (tests point names at loopback with it).
   * @defaultValue `dns.lookup(hostname, { all: true })`
   */
  readonly resolve?: ResolveAll | undefined;
}

/** One HTTP request as the HTTP-based actions send it. */
export interface HttpRequest {
  readonly url: URL;
  readonly method: Dispatcher.HttpMethod;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Aborts the request (timeout or shutdown). */
  readonly signal: AbortSignal;
  /** Hosts, IPs or CIDRs the SSRF guard lets through for this request. */
  readonly allowHosts?: readonly string[] | undefined;
  /**
   * Largest response body kept, in bytes; the rest is discarded.
   * @defaultValue `65_536`
   */
  readonly maxResponseBytes?: number;
}

/** A response with its (possibly truncated) body read. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/**
 * A keep-alive HTTP connection pool whose every connection passes the SSRF guard. Connections
 * are pooled per origin and per `allowHosts` list, so a connection opened under one action's
 * allowlist is never reused by an action without it.
 */
export interface HttpPool extends AsyncDisposable {
  /**
   * Sends a request and reads the response, whatever its status.
   *
   * @throws {ObserverError} `SSRF_BLOCKED` when the destination is not allowed; the network or
   * abort error otherwise (classify it with `classifyError`).
   */
  request(request: HttpRequest): Promise<HttpResponse>;
  /** Closes every pooled connection; later requests fail with `CLOSED`. */
  close(): Promise<void>;
}

/** Creates an {@link HttpPool} backed by undici `Agent`s. */
export function createHttpPool(options: HttpPoolOptions = {}): HttpPool {
  const agents = new Map<string, Agent>();
  let closed = false;

  const agentFor = (allowHosts: readonly string[]): Agent => {
    const key = [...allowHosts]
      .map((h) => h.trim().toLowerCase())
      .sort()
      .join(',');
    let agent = agents.get(key);
    if (agent === undefined) {
      const guard = createSsrfGuard({
        allowHosts,
        ...(options.resolve === undefined ? {} : { resolve: options.resolve }),
      });
      const base = buildConnector({
        timeout: options.connectTimeout ?? 10_000,
        lookup: guard.lookup as never,
      });
      // net.connect skips `lookup` for IP literals, so those are checked here.
      const connect: buildConnector.connector = (connectOptions, callback) => {
        if (isIP(connectOptions.hostname) === 0) {
          base(connectOptions, callback);
          return;
        }
        guard.resolve(connectOptions.hostname).then(
          () => {
            base(connectOptions, callback);
          },
          (error: unknown) => {
            callback(error as Error, null);
          },
        );
      };
      agent = new Agent({
        keepAliveTimeout: options.keepAliveTimeout ?? 30_000,
        connections: options.connections ?? 32,
        connect,
      });
      agents.set(key, agent);
    }
    return agent;
  };

  const request = async (req: HttpRequest): Promise<HttpResponse> => {
    if (closed) throw new ObserverError('CLOSED', 'the HTTP pool is closed');
    const agent = agentFor(req.allowHosts ?? []);
    const response = await agent.request({
      origin: req.url.origin,
      path: `${req.url.pathname}${req.url.search}`,
      method: req.method,
      headers: req.headers,
      body: req.body ?? null,
      signal: req.signal,
    });
    const body = await readCapped(response.body, req.maxResponseBytes ?? 65_536);
    return { status: response.statusCode, headers: response.headers, body };
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    const all = [...agents.values()];
    agents.clear();
    await Promise.all(all.map((agent) => agent.close()));
  };

  return { request, close, [Symbol.asyncDispose]: close };
}

async function readCapped(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const room = limit - size;
    if (room <= 0) continue;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    chunks.push(part);
    size += part.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}
