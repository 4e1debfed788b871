import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@fraiseql/testing';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../src/fraiseql-server.js';
import { loadServerSettings } from '../src/server-settings.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function promtool(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

describe('reference server /metrics (embedded PostgreSQL, demo observers)', () => {
  it('serves the observers metrics on its HTTP port, in both exposition formats', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fraiseql-server-metrics-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const server = await startServer(
      loadServerSettings(
        {
          FRAISEQL_HTTP_PORT: '0',
          FRAISEQL_FLIGHT_PORT: '0',
          FRAISEQL_DEMO_INTERVAL: '1h',
          FRAISEQL_DATA_DIR: dir,
        },
        dir,
      ),
      pino({ level: 'silent' }),
    );
    cleanups.push(() => server.close());
    expect((await fetch(`${server.httpUrl}/demo/orders`, { method: 'POST' })).status).toBe(202);

    const metricsUrl = `${server.httpUrl}/metrics`;
    const text = await waitFor(
      async () => {
        const body = await (await fetch(metricsUrl)).text();
        const processed = /^fraiseql_observer_events_processed_total (\d+)/m.exec(body);
        return Number(processed?.[1] ?? 0) > 0 && body.includes('action_type="webhook"')
          ? body
          : false;
      },
      { timeoutMs: 30_000, message: 'events processed and a webhook executed, seen on /metrics' },
    );
    expect(text).toMatch(/^fraiseql_observer_source_batch_size_count\{source="change-log"\} \d+/m);

    const plain = await fetch(metricsUrl);
    expect(plain.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const open = await fetch(metricsUrl, {
      headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;q=0.5' },
    });
    expect(open.headers.get('content-type')).toBe(
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    expect(await open.text()).toMatch(/# EOF\n$/);

    const tool = promtool();
    if (tool !== undefined) {
      const checked = spawnSync(tool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${checked.stdout}${checked.stderr}`).toBe('');
    }
  });
});
