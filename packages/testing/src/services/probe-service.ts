import { jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { ServiceKind } from './service-kind.js';

/** Options for {@link probeService}. */
export interface ProbeOptions {
  /**
   * How long one round trip may take.
   * @defaultValue 2000
   */
  readonly timeoutMs?: number;
}

/**
 * Checks that the service at `url` answers a real protocol round trip: `SELECT 1` on
 * PostgreSQL, `PING` on Redis, a NATS connection plus JetStream account info (the suites need
 * JetStream), `GET /ping` on ClickHouse's HTTP port.
 *
 * @returns `undefined` when it answered, otherwise the reason it did not
 */
export async function probeService(
  kind: ServiceKind,
  url: string,
  options: ProbeOptions = {},
): Promise<string | undefined> {
  const timeoutMs = options.timeoutMs ?? 2000;
  try {
    switch (kind) {
      case 'postgres':
        await probePostgres(url, timeoutMs);
        break;
      case 'redis':
        await probeRedis(url, timeoutMs);
        break;
      case 'nats':
        await probeNats(url, timeoutMs);
        break;
      case 'clickhouse':
        await probeClickHouse(url, timeoutMs);
        break;
    }
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

async function probePostgres(url: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  // A failed connect emits 'error' as well as rejecting; the rejection is what we report.
  client.on('error', () => undefined);
  try {
    await client.connect();
    const result = await client.query<{ one: number }>('SELECT 1 AS one');
    if (result.rows[0]?.one !== 1) throw new Error('SELECT 1 returned no row');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function probeRedis(url: string, timeoutMs: number): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    // ioredis types PING as 'PONG'; a proxy or a wrong protocol could still answer otherwise.
    const reply: string = await redis.ping();
    if (reply !== 'PONG') throw new Error(`PING answered ${reply}`);
  } finally {
    redis.disconnect();
  }
}

async function probeNats(url: string, timeoutMs: number): Promise<void> {
  const nc = await connectNats({ servers: url, timeout: timeoutMs, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
    await jsm.getAccountInfo();
  } finally {
    await nc.close().catch(() => undefined);
  }
}

async function probeClickHouse(url: string, timeoutMs: number): Promise<void> {
  const ping = new URL(url);
  ping.pathname = '/ping';
  ping.search = '';
  ping.username = '';
  ping.password = '';
  const response = await fetch(ping, { signal: AbortSignal.timeout(timeoutMs) });
  const body = await response.text();
  if (!response.ok || !body.startsWith('Ok.')) {
    throw new Error(`GET /ping answered ${response.status} ${body.slice(0, 80)}`);
  }
}
