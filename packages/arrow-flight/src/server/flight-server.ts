import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { isIP } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Table } from 'apache-arrow';
import { silentLogger, type Logger } from '@fraiseql/core';
import { createAuthenticator } from '../auth/authenticator.js';
import { FlightError } from '../errors.js';
import { createTicketSigner } from '../tickets/ticket-signer.js';
import { createTableHandler } from '../datasets/table-handler.js';
import type { StreamHandler } from '../datasets/flight-stream.js';
import { noopFlightMetrics, type FlightMetrics } from '../metrics/flight-metrics.js';
import { flightServiceDefinition } from '../protocol/flight-service-definition.js';
import { DescriptorRouter, jsonCommandDecoder, type CommandDecoder } from './descriptor-router.js';
import {
  parseFlightServerOptions,
  type FlightServerConfig,
  type FlightServerConfigInput,
} from './flight-server-options.js';
import { createRpcHandlers, type FlightHealth } from './rpc-handlers.js';
import { createIpcStreamer, type IpcStreamOptions } from './ipc-stream.js';
import { StreamRegistry } from './stream-registry.js';
import type { FlightExtension } from './flight-extension.js';

/** Options for {@link startFlightServer}: the config data plus code-level collaborators. */
export interface FlightServerOptions extends FlightServerConfigInput {
  /** Stream kinds beyond registered tables (views, GraphQL, events, exports). */
  handlers?: readonly StreamHandler[] | undefined;
  /** Further CMD descriptor formats, tried before the JSON command. */
  commandDecoders?: readonly CommandDecoder[] | undefined;
  /** @defaultValue silence */
  logger?: Logger | undefined;
  /** @defaultValue no-op */
  metrics?: FlightMetrics | undefined;
  /** Additions such as Flight SQL (`createFlightSqlService`): handlers, commands, actions, uploads. */
  extensions?: readonly FlightExtension[] | undefined;
  /** Extra state for the `health` action (database connection, …). */
  health?: (() => Promise<Record<string, unknown>> | Record<string, unknown>) | undefined;
}

/** A running Flight server. */
export interface FlightServer {
  /** Where it listens (the real port when 0 was asked for). */
  readonly address: { readonly host: string; readonly port: number };
  /** `grpc://host:port`, as Flight locations are written. */
  readonly url: string;
  /** Serves an in-memory Arrow table as `table/<name>`, readable by `roles` (all when absent). */
  registerTable(name: string, table: Table, roles?: readonly string[]): void;
  unregisterTable(name: string): boolean;
  /** Running streams and auth state. */
  health(): Promise<FlightHealth>;
  /**
   * Redeems a ticket as an Arrow IPC stream (`application/vnd.apache.arrow.stream`), for an
   * HTTP fallback route: same auth, checks, limits and metrics as DoGet. Resolves once the
   * caller and ticket are accepted.
   * @throws {FlightError} as DoGet would fail.
   */
  readIpcStream(ticket: Uint8Array, options?: IpcStreamOptions): Promise<AsyncIterable<Uint8Array>>;
  /** Stops accepting calls, cancels running streams, closes connections. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * Starts an Arrow Flight server on `@grpc/grpc-js` (127.0.0.1:50051 by default).
 *
 * @throws {FlightError} `INVALID_ARGUMENT` when binding beyond loopback without auth.
 * @example
 * const server = await startFlightServer({ port: 0 });
 * server.registerTable('trips', tableFromArrays({ id: Int32Array.from([1, 2]) }));
 */
export async function startFlightServer(options: FlightServerOptions = {}): Promise<FlightServer> {
  const config: FlightServerConfig = parseFlightServerOptions(options);
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? noopFlightMetrics;
  const authenticator = createAuthenticator(config.auth);
  if (!authenticator.enabled && !isLoopback(config.host)) {
    throw new FlightError(
      'INVALID_ARGUMENT',
      `flight: refusing to listen on ${config.host} without auth; configure auth.users or auth.apiKeys, or bind to 127.0.0.1`,
    );
  }
  const tickets = createTicketSigner(config.tickets);
  const tables = createTableHandler();
  const extensions = options.extensions ?? [];
  const router = new DescriptorRouter(
    [tables, ...(options.handlers ?? []), ...extensions.flatMap((e) => e.handlers ?? [])],
    [
      ...(options.commandDecoders ?? []),
      ...extensions.flatMap((e) => e.commandDecoders ?? []),
      jsonCommandDecoder,
    ],
  );
  const streams = new StreamRegistry(config.limits);
  const handlers = createRpcHandlers({
    config,
    router,
    authenticator,
    tickets,
    streams,
    logger,
    metrics,
    extraHealth: options.health,
    newId: randomUUID,
    actions: extensions.flatMap((e) => e.actions ?? []),
    putTargets: extensions.flatMap((e) => e.putTargets ?? []),
    exchangeTargets: extensions.flatMap((e) => e.exchangeTargets ?? []),
  });

  const readIpcStream = createIpcStreamer({
    config,
    router,
    authenticator,
    tickets,
    streams,
    metrics,
  });

  const grpcServer = new Server({
    'grpc.max_send_message_length': config.limits.maxMessageBytes,
    'grpc.max_receive_message_length': config.limits.maxMessageBytes,
  });
  grpcServer.addService(flightServiceDefinition, handlers);
  // Connections are accepted on our own socket server so that every one gets TCP_NODELAY
  // (grpc-js does not set it on server sockets) and can be closed on shutdown.
  const injector = grpcServer.createConnectionInjector(ServerCredentials.createInsecure());
  const sockets = new Set<Socket>();
  const netServer: NetServer = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', (error) => {
      logger.debug({ err: error }, 'flight: client connection error');
    });
    injector.injectConnection(socket);
  });
  netServer.on('error', (error) => {
    logger.error({ err: error }, 'flight: listener error');
  });
  await new Promise<void>((resolve, reject) => {
    netServer.once('error', reject);
    netServer.listen(config.port, config.host, () => {
      netServer.off('error', reject);
      resolve();
    });
  });
  const bound = netServer.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : config.port;
  const host = config.host;
  const urlHost = isIP(host) === 6 ? `[${host}]` : host;
  logger.info({ host, port, auth: authenticator.enabled }, 'flight: listening');

  let closing: Promise<void> | undefined;
  const server: FlightServer = {
    address: { host, port },
    url: `grpc://${urlHost}:${port}`,
    registerTable: (name, table, roles) => {
      tables.register(name, table, roles);
    },
    unregisterTable: (name) => tables.unregister(name),
    health: () => handlers.healthSnapshot(),
    readIpcStream,
    close() {
      closing ??= (async () => {
        streams.abortAll(new FlightError('CLOSED', 'server shutting down'));
        await new Promise<void>((resolve) => {
          netServer.close(() => {
            resolve();
          });
        });
        injector.drain(2000);
        await new Promise<void>((resolve) => {
          grpcServer.tryShutdown(() => {
            resolve();
          });
          setTimeout(() => {
            grpcServer.forceShutdown();
            resolve();
          }, 3000).unref();
        });
        for (const socket of sockets) socket.destroy();
        injector.destroy();
      })();
      return closing;
    },
    [Symbol.asyncDispose]: () => server.close(),
  };
  return server;
}
