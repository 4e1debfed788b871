import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { checkRegistry, renderMetrics } from './render-metrics.js';

/** A `node:http` request listener serving the metrics of one registry. */
export type MetricsRequestHandler = (
  request: IncomingMessage,
  response: ServerResponse,
) => Promise<void>;

/**
 * Creates a plain `(req, res)` handler that answers with the metrics of `registry` (any path:
 * mount it where you route `/metrics`). GET and HEAD only; others get 405.
 *
 * @throws {MetricsError} `INVALID_ARGUMENT` for a registry set to prom-client's OpenMetrics type.
 */
export function createMetricsHandler(registry: Registry): MetricsRequestHandler {
  checkRegistry(registry);
  return async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      response.end('method not allowed\n');
      return;
    }
    try {
      const { contentType, body } = await renderMetrics(registry, request.headers.accept);
      response.writeHead(200, {
        'content-type': contentType,
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      const text = `could not collect metrics: ${error instanceof Error ? error.message : String(error)}\n`;
      response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(text);
    }
  };
}
