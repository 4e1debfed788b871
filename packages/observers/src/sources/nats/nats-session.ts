import type { Logger, ServiceHealthTracker } from '@fraiseql/core';
import {
  connectNatsClient,
  redactServer,
  type NatsClientLike,
  type NatsConnector,
} from './nats-client.js';
import type { ResolvedNatsConfig } from './nats-config.js';

const DRAIN_TIMEOUT_MS = 5_000;
// Oldest server release the transport is tested against (nak delay, ack confirmation and the
// stream/consumer fields it sets all exist there).
const MIN_SERVER = [2, 9] as const;

/** An open NATS client with the connection's lifecycle logged, closed once. */
export interface NatsSession extends NatsClientLike {
  readonly serverVersion: string | undefined;
  /** Largest payload the server accepts, in bytes. */
  readonly maxPayload: number;
  close(): Promise<void>;
}

/**
 * Connects for the transport: reconnects forever (with the server's list of cluster peers),
 * logs connection state changes, reports them through `health` (down when the first connection
 * fails, reconnecting after a disconnect, up on reconnect, closed on close) and warns when the
 * server is older than the tested minimum.
 *
 * @throws {ObserverError} `TRANSPORT_UNAVAILABLE` when the first connection fails.
 */
export async function openNatsSession(
  config: ResolvedNatsConfig,
  logger: Logger,
  health?: ServiceHealthTracker,
  connect: NatsConnector = connectNatsClient,
): Promise<NatsSession> {
  let client: NatsClientLike;
  try {
    client = await connectClient(config, connect);
  } catch (error) {
    health?.down(error);
    throw error;
  }
  health?.up();
  const servers = config.servers.map(redactServer);
  const serverVersion = client.connection.info?.version;
  if (serverVersion !== undefined && isOlder(serverVersion, MIN_SERVER)) {
    logger.warn(
      { servers, serverVersion },
      `nats-server ${serverVersion} is older than ${MIN_SERVER.join('.')}: nak delays and ack confirmation may not work`,
    );
  }
  logger.debug({ servers, serverVersion }, 'nats connected');
  void watchStatus(client, logger, servers, health);
  let closing: Promise<void> | undefined;
  return {
    ...client,
    serverVersion,
    maxPayload: client.connection.info?.max_payload ?? 1_048_576,
    close: () =>
      (closing ??= closeConnection(client, logger).finally(() => {
        health?.closed();
      })),
  };
}

function connectClient(
  config: ResolvedNatsConfig,
  connect: NatsConnector,
): Promise<NatsClientLike> {
  return connect({
    servers: config.servers,
    name: config.name,
    ...(config.token === undefined ? {} : { token: config.token }),
    ...(config.user === undefined ? {} : { user: config.user }),
    ...(config.pass === undefined ? {} : { pass: config.pass }),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: false,
  });
}

async function watchStatus(
  client: NatsClientLike,
  logger: Logger,
  servers: string[],
  health: ServiceHealthTracker | undefined,
) {
  try {
    for await (const status of client.connection.status()) {
      if (status.type === 'disconnect') {
        health?.reconnecting(statusError(status, 'disconnected'));
        logger.warn({ servers }, 'nats disconnected; reconnecting');
      } else if (status.type === 'reconnect') {
        health?.up();
        logger.info({ servers }, 'nats reconnected');
      } else if (status.type === 'error') {
        health?.error(statusError(status, 'connection error'));
        logger.error({ servers, status }, 'nats connection error');
      }
    }
  } catch (error) {
    logger.debug({ error }, 'nats status watch ended');
  }
}

async function closeConnection(client: NatsClientLike, logger: Logger): Promise<void> {
  const connection = client.connection;
  if (connection.isClosed()) return;
  // Drain flushes pending acks and publishes; while the server is away it cannot finish, so
  // it gets a bounded time before the connection is closed outright.
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(resolve, DRAIN_TIMEOUT_MS, 'timeout');
  });
  try {
    const outcome = await Promise.race([
      connection.drain().then(() => 'drained' as const),
      timedOut,
    ]);
    if (outcome === 'timeout') logger.warn({}, 'nats drain timed out; closing the connection');
  } catch (error) {
    logger.debug({ error }, 'nats drain failed; closing the connection');
  } finally {
    clearTimeout(timer);
  }
  if (!connection.isClosed()) await connection.close();
}

function statusError(status: unknown, fallback: string): Error {
  const error = (status as { error?: unknown }).error;
  return error instanceof Error ? error : new Error(`nats ${fallback}`);
}

function isOlder(version: string, minimum: readonly [number, number]): boolean {
  const [major = 0, minor = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  return major < minimum[0] || (major === minimum[0] && minor < minimum[1]);
}
