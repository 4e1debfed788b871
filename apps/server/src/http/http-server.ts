import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A route handler: returns the status and JSON body to send. */
export type RouteHandler = (request: IncomingMessage) => Promise<RouteResponse>;

/** What a route answers. */
export interface RouteResponse {
  readonly status: number;
  readonly body: unknown;
  readonly contentType?: string;
}

/** A running HTTP listener. */
export interface HttpListener {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `routes` (keyed `"GET /health"`) on host:port. Unknown paths answer 404 and handler
 * failures 500, both as JSON.
 */
export async function listenHttp(
  host: string,
  port: number,
  routes: ReadonlyMap<string, RouteHandler>,
): Promise<HttpListener> {
  const server: Server = createServer((request, response) => {
    void respond(routes, request, response);
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

async function respond(
  routes: ReadonlyMap<string, RouteHandler>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const handler = routes.get(`${request.method ?? 'GET'} ${path}`);
  let result: RouteResponse;
  if (handler === undefined) {
    result = { status: 404, body: { error: `no route for ${request.method ?? 'GET'} ${path}` } };
  } else {
    try {
      result = await handler(request);
    } catch (error) {
      result = {
        status: 500,
        body: { error: error instanceof Error ? error.message : String(error) },
      };
    }
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

/** Reads a JSON request body (at most 1 MiB). */
export async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1_048_576) throw new Error('request body larger than 1 MiB');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as unknown);
}
