import type { Registry } from 'prom-client';
import { checkRegistry, renderMetrics } from './render-metrics.js';

/** A Web `Request → Response` handler serving the metrics of one registry. */
export type WebMetricsHandler = (request: Request) => Promise<Response>;

/**
 * Creates a Web-standard handler (hono, itty-router, Bun/Deno style servers) answering with
 * the metrics of `registry`. GET and HEAD only; others get 405.
 *
 * @throws {MetricsError} `INVALID_ARGUMENT` for a registry set to prom-client's OpenMetrics type.
 * @example
 * const metrics = createWebMetricsHandler(registry);
 * app.get('/metrics', (c) => metrics(c.req.raw));
 */
export function createWebMetricsHandler(registry: Registry): WebMetricsHandler {
  checkRegistry(registry);
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response('method not allowed\n', {
        status: 405,
        headers: { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' },
      });
    }
    try {
      const { contentType, body } = await renderMetrics(registry, request.headers.get('accept'));
      return new Response(request.method === 'HEAD' ? null : body, {
        status: 200,
        headers: { 'content-type': contentType, 'cache-control': 'no-store' },
      });
    } catch (error) {
      const text = `could not collect metrics: ${error instanceof Error ? error.message : String(error)}\n`;
      return new Response(text, {
        status: 500,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
    }
  };
}
