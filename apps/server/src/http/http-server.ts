import type { AdminPrincipal } from '@fraiseql/core';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a route answers. */
export interface RouteResponse {
  readonly status: number;
  /** JSON, text, or a byte stream (sent chunked, with backpressure). */
  readonly body: unknown;
  readonly contentType?: string;
}

function isByteStream(body: unknown): body is AsyncIterable<Uint8Array> {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as Partial<AsyncIterable<Uint8Array>>)[Symbol.asyncIterator] === 'function'
  );
}

/**
 * Sends a byte stream chunked. A failure mid-stream cuts the connection (the client sees a
 * truncated body, never a success); a client that goes away stops the producer.
 */
async function sendStream(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: AsyncIterable<Uint8Array>,
): Promise<void> {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  const iterator = body[Symbol.asyncIterator]();
  const stop = (): void => {
    void iterator.return?.();
  };
  response.once('close', stop);
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) break;
      if (response.destroyed) return;
      if (!response.write(next.value)) {
        await new Promise<void>((resolveDrain) => {
          const done = (): void => {
            response.off('drain', done);
            response.off('close', done);
            resolveDrain();
          };
          response.on('drain', done);
          response.on('close', done);
        });
      }
    }
    response.end();
  } catch {
    response.destroy();
  } finally {
    response.off('close', stop);
  }
}

/** A request as routes see it: the raw message, path parameters and query. */
export interface RouteRequest {
  readonly raw: IncomingMessage;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Who acts, on routes behind the admin token (for audit logs). */
  readonly actor?: AdminPrincipal;
}

/** A route handler: returns the status and body to send (JSON unless `contentType` says otherwise). */
export type RouteHandler = (request: RouteRequest) => Promise<RouteResponse>;

/** One route: `method` and a path `pattern` whose `:name` segments become params. */
export interface Route {
  readonly method: string;
  readonly pattern: string;
  readonly handler: RouteHandler;
  /**
   * The route changes nothing whatever its method (a POST that runs an on-demand check): a
   * read-only admin token may call it and it is not logged as a change.
   */
  readonly readsOnly?: boolean;
}

/** A plain `node:http` listener, for handlers that write their own responses (streams, files). */
export type MountedHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** A running HTTP listener whose routes can be added after it started. */
export interface HttpListener {
  readonly url: string;
  /** Adds routes; later routes with the same method and pattern replace earlier ones. */
  addRoutes(routes: readonly Route[]): void;
  /** Hands every request for `prefix` or a path below it to `handler`, before the routes. */
  mount(prefix: string, handler: MountedHandler): void;
  close(): Promise<void>;
}

/** An error a handler throws to answer with a given status (400, 404, 409 …). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * Serves routes on host:port. Unknown paths answer 404, {@link HttpError}s their status, and
 * other handler failures 500, all as JSON.
 */
export async function listenHttp(host: string, port: number): Promise<HttpListener> {
  const routes = new Map<string, Route>();
  const mounts = new Map<string, MountedHandler>();
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    for (const [prefix, handler] of mounts) {
      if (path === prefix || path.startsWith(`${prefix}/`)) {
        handler(request, response).catch((error: unknown) => {
          if (response.headersSent) {
            response.destroy();
            return;
          }
          const text = JSON.stringify({
            error: error instanceof Error ? error.message : String(error),
          });
          response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
          response.end(text);
        });
        return;
      }
    }
    void respond(routes.values(), request, response);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostForUrl}:${address.port}`,
    addRoutes(added) {
      for (const route of added) routes.set(`${route.method} ${route.pattern}`, route);
    },
    mount(prefix, handler) {
      mounts.set(prefix, handler);
    },
    close: () =>
      new Promise<void>((resolvePromise, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolvePromise();
        });
        server.closeAllConnections();
      }),
  };
}

function matchPattern(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, segment] of want.entries()) {
    const actual = got[index] ?? '';
    if (segment.startsWith(':')) {
      if (actual === '') return undefined;
      params[segment.slice(1)] = decodeURIComponent(actual);
    } else if (segment !== actual) {
      return undefined;
    }
  }
  return params;
}

async function respond(
  routes: Iterable<Route>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const method = request.method ?? 'GET';
  let result: RouteResponse | undefined;
  for (const route of routes) {
    if (route.method !== method) continue;
    const params = matchPattern(route.pattern, url.pathname);
    if (params === undefined) continue;
    try {
      result = await route.handler({ raw: request, params, query: url.searchParams });
    } catch (error) {
      result =
        error instanceof HttpError
          ? { status: error.status, body: { error: error.message } }
          : {
              status: 500,
              body: { error: error instanceof Error ? error.message : String(error) },
            };
    }
    break;
  }
  result ??= { status: 404, body: { error: `no route for ${method} ${url.pathname}` } };
  if (isByteStream(result.body)) {
    await sendStream(
      response,
      result.status,
      result.contentType ?? 'application/octet-stream',
      result.body,
    );
    return;
  }
  const text =
    typeof result.body === 'string' ? result.body : JSON.stringify(result.body, jsonReplacer, 2);
  response.writeHead(result.status, {
    'content-type': result.contentType ?? 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Reads a request body as text (at most 1 MiB). */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1_048_576) throw new HttpError(413, 'request body larger than 1 MiB');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
