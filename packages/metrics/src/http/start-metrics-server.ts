import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { MetricsError } from '../errors.js';
import { createMetricsHandler } from './create-metrics-handler.js';

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  readonly registry: Registry;
  /** Port to listen on; `0` picks a free one. @defaultValue `9464` */
  readonly port?: number | undefined;
  /** Bind address. @defaultValue `'127.0.0.1'` */
  readonly host?: string | undefined;
  /** Path that serves the metrics; other paths answer 404. @defaultValue `'/metrics'` */
  readonly path?: string | undefined;
  /** Aborting it closes the server. */
  readonly signal?: AbortSignal | undefined;
}

/** A running standalone metrics server. */
export interface MetricsServer {
  /** Full URL of the metrics path, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a tiny `node:http` server that serves only the metrics of `registry`, for processes
 * that have no HTTP server of their own (workers).
 *
 * @throws {MetricsError} `LISTEN_FAILED` when the port cannot be bound, `INVALID_ARGUMENT` for
 *   a bad path or registry.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const path = options.path ?? '/metrics';
  if (!path.startsWith('/')) {
    throw new MetricsError(
      'INVALID_ARGUMENT',
      `metrics server path: expected a path starting with "/", got ${JSON.stringify(path)}`,
    );
  }
  const handle = createMetricsHandler(options.registry);
  const server = createServer((request, response) => {
    const requested = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (requested !== path) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`not found; metrics are at ${path}\n`);
      return;
    }
    void handle(request, response);
  });
  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 9464, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    throw new MetricsError(
      'LISTEN_FAILED',
      `metrics server: cannot listen on ${host}:${options.port ?? 9464}`,
      { cause: error },
    );
  }
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve, reject) => {
      options.signal?.removeEventListener('abort', onAbort);
      server.close((error) => {
        if (error) reject(error);
        else resolve();
      });
      server.closeAllConnections();
    }));
  const onAbort = (): void => {
    void close();
  };
  if (options.signal?.aborted === true) await close();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    url: `http://${hostForUrl}:${address.port}${path}`,
    port: address.port,
    close,
    [Symbol.asyncDispose]: close,
  };
}
