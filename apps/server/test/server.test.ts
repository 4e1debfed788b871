import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createTestDatabase, requireService, waitFor } from '@fraiseql/testing';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type FraiseQLServer } from '../src/fraiseql-server.js';
import { loadServerSettings } from '../src/server-settings.js';

interface LogLine {
  msg: string;
  entityType?: string;
  eventType?: string;
}

function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (text !== '') lines.push(JSON.parse(text) as LogLine);
      }
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(
  env: NodeJS.ProcessEnv,
): Promise<{ server: FraiseQLServer; lines: LogLine[] }> {
  const { logger, lines } = captureLogger();
  const server = await startServer(
    loadServerSettings({ FRAISEQL_HTTP_PORT: '0', FRAISEQL_DEMO_INTERVAL: '1h', ...env }),
    logger,
  );
  cleanups.push(() => server.close());
  return { server, lines };
}

describe('reference server on embedded PostgreSQL (PGlite)', () => {
  it('starts with no configuration, serves /health and logs captured demo changes', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fraiseql-server-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const { server, lines } = await start({ FRAISEQL_DATA_DIR: dataDir });

    const health = await fetch(`${server.httpUrl}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { state: string }).state).toBe('running');

    const written = await fetch(`${server.httpUrl}/demo/orders`, { method: 'POST' });
    expect(written.status).toBe(202);
    await waitFor(
      () => lines.some((line) => line.entityType === 'Order' && line.eventType === 'INSERT'),
      {
        timeoutMs: 20_000,
        message: 'no "change captured" log line for the demo order',
      },
    );
    expect(lines.filter((line) => line.entityType === 'Customer')).toHaveLength(3);

    const missing = await fetch(`${server.httpUrl}/nope`);
    expect(missing.status).toBe(404);
  });
});

const postgres = await requireService('postgres');

describe.skipIf(postgres === undefined)('reference server with DATABASE_URL', () => {
  it('uses the given PostgreSQL instead of the embedded one', async () => {
    const database = await createTestDatabase(postgres);
    cleanups.push(() => database.close());
    const { server, lines } = await start({ DATABASE_URL: database.url, FRAISEQL_DEMO: 'true' });
    expect(server.db.dialect).toBe('postgres');
    await server.demo?.tick();
    await waitFor(() => lines.some((line) => line.entityType === 'Order'), {
      timeoutMs: 20_000,
      message: 'no change captured from the PostgreSQL server',
    });
    const { rows } = await server.db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM core.tb_entity_change_log',
    );
    expect(Number(rows[0]?.n)).toBeGreaterThanOrEqual(4);
  });

  it('rejects invalid settings with the variable name and value', () => {
    expect(() => loadServerSettings({ FRAISEQL_HTTP_PORT: 'eighty' })).toThrow(
      /FRAISEQL_HTTP_PORT.*"eighty"/s,
    );
  });
});
