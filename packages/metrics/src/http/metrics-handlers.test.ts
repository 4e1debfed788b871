import { Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../registry/create-metrics-registry.js';
import { createWebMetricsHandler } from './create-web-metrics-handler.js';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from './negotiate-metrics-format.js';
import { startMetricsServer, type MetricsServer } from './start-metrics-server.js';

function registryWithCounter() {
  const registry = createMetricsRegistry();
  new Counter({ name: 'demo_hits_total', help: 'Hits', registers: [registry] }).inc(2);
  return registry;
}

describe('metrics handlers', () => {
  const servers: MetricsServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  it('serves the registry from the standalone node:http server, negotiating the format', async () => {
    const server = await startMetricsServer({ registry: registryWithCounter(), port: 0 });
    servers.push(server);
    const plain = await fetch(server.url);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(await plain.text()).toContain('demo_hits_total 2\n');
    const open = await fetch(server.url, { headers: { accept: 'application/openmetrics-text' } });
    expect(open.headers.get('content-type')).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(await open.text()).toMatch(/demo_hits_total 2\n# EOF\n$/);
    const other = await fetch(new URL('/other', server.url));
    expect(other.status).toBe(404);
    const post = await fetch(server.url, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('closes the standalone server when its signal aborts', async () => {
    const controller = new AbortController();
    const server = await startMetricsServer({
      registry: registryWithCounter(),
      port: 0,
      signal: controller.signal,
    });
    controller.abort();
    await server.close();
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('answers Web requests with the right content type and body', async () => {
    const handle = createWebMetricsHandler(registryWithCounter());
    const response = await handle(new Request('http://localhost/metrics'));
    expect(response.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(await response.text()).toContain('demo_hits_total 2\n');
    const head = await handle(new Request('http://localhost/metrics', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const open = await handle(
      new Request('http://localhost/metrics', {
        headers: { accept: 'application/openmetrics-text; version=1.0.0' },
      }),
    );
    expect(open.headers.get('content-type')).toBe(OPENMETRICS_CONTENT_TYPE);
  });
});
