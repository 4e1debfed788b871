import {
  ARROW_STREAM_CONTENT_TYPE,
  createEventExchange,
  createEventsHandler,
  createFlightSqlService,
  createTableIngest,
  createViewHandler,
  isFlightError,
  startFlightServer,
  type FlightErrorCode,
  type FlightServer,
} from '@fraiseql/arrow-flight';
import type { AdminToken, SqlClient } from '@fraiseql/core';
import { createFlightMetrics, type createMetricsRegistry } from '@fraiseql/metrics';
import { createChangeLogSource } from '@fraiseql/observers';
import type { Logger } from 'pino';
import { HttpError, readBody, type Route } from '../http/http-server.js';

/** The reference server's Arrow Flight endpoint: views and the event stream. */
export interface FlightService {
  readonly server: FlightServer;
  /** `POST /flight/stream`: a ticket (the body) redeemed as an Arrow IPC stream. */
  readonly routes: readonly Route[];
  close(): Promise<void>;
}

/** A Flight listener that could not start, with the setting that fixes it. */
export class FlightListenError extends Error {
  readonly code = 'FLIGHT_LISTEN';
  constructor(
    message: string,
    readonly listenCode: string | undefined,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'FlightListenError';
  }
}

const HTTP_STATUS: Partial<Record<FlightErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  INVALID_TICKET: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  RESOURCE_EXHAUSTED: 429,
};

/**
 * Starts Flight on `host:port` serving the `va_`/`ta_`/`tv_` views of `viewSchemas` (as view
 * reads and through Flight SQL), the change log's event stream (range and live tail), durable
 * event consumers over DoExchange, and DoPut uploads into `ingestTables`. The admin tokens are
 * its credentials: each is an API key (sent as `authorization: Bearer <token>`, or through
 * Handshake) with every role.
 */
export async function startFlightService(options: {
  readonly db: SqlClient;
  readonly host: string;
  readonly port: number;
  readonly viewSchemas: readonly string[];
  /** `tb_` tables DoPut may write; none: DoPut answers UNIMPLEMENTED. */
  readonly ingestTables?: readonly { readonly schema: string; readonly name: string }[];
  /** The database role Flight SQL statements run as (the server's own when absent). */
  readonly sqlRole?: string | undefined;
  readonly tokens: readonly AdminToken[];
  readonly registry: ReturnType<typeof createMetricsRegistry>;
  readonly logger: Logger;
}): Promise<FlightService> {
  const { db, logger } = options;
  const flightLogger = logger.child({ component: 'flight' });
  const views = createViewHandler({
    db,
    discover: { schemas: [...options.viewSchemas], tenantColumn: 'tenant_id' },
  });
  const events = createEventsHandler({ db, logger: flightLogger });
  let server: FlightServer;
  try {
    server = await startFlightServer({
      host: options.host,
      port: options.port,
      auth: {
        apiKeys: options.tokens.map((token) => ({
          name: token.name,
          key: token.token,
          roles: ['*'],
        })),
      },
      handlers: [views, events],
      // Flight SQL on the same port, over the same read models as view reads.
      extensions: [
        createFlightSqlService({
          db,
          schemas: options.viewSchemas.map((name) => ({ name, tenantColumn: 'tenant_id' })),
          dbRole: options.sqlRole,
        }),
        // Durable event consumers over DoExchange, with change-log progress like observers.
        createEventExchange({
          source: (consumer, { startFrom }) =>
            createChangeLogSource(db, {
              consumer,
              startFrom,
              logger: flightLogger.child({ component: 'exchange' }),
            }),
          logger: flightLogger,
        }),
        // Uploads only into the tables the operator named; off when none are.
        ...((options.ingestTables ?? []).length === 0
          ? []
          : [createTableIngest({ db, tables: options.ingestTables ?? [] })]),
      ],
      metrics: createFlightMetrics(options.registry),
      logger: flightLogger,
    });
  } catch (error) {
    await events.close();
    const code = (error as { code?: unknown }).code;
    throw new FlightListenError(
      `Arrow Flight cannot listen on ${options.host}:${String(options.port)}`,
      typeof code === 'string' ? code : undefined,
      { cause: error },
    );
  }
  const streamRoute: Route = {
    method: 'POST',
    pattern: '/flight/stream',
    handler: async ({ raw }) => {
      const ticket = (await readBody(raw)).trim();
      if (ticket === '') throw new HttpError(400, 'the request body must be a Flight ticket');
      const controller = new AbortController();
      raw.once('close', () => {
        controller.abort();
      });
      try {
        const body = await server.readIpcStream(new TextEncoder().encode(ticket), {
          authorization: raw.headers.authorization,
          signal: controller.signal,
          client: raw.socket.remoteAddress,
        });
        return { status: 200, body, contentType: ARROW_STREAM_CONTENT_TYPE };
      } catch (error) {
        if (isFlightError(error)) {
          const status = HTTP_STATUS[error.code];
          if (status !== undefined) throw new HttpError(status, error.message);
        }
        flightLogger.error({ err: error }, 'flight: HTTP stream failed');
        throw new HttpError(500, 'the stream failed; see the server log');
      }
    },
  };
  return {
    server,
    routes: [streamRoute],
    close: async () => {
      await server.close();
      await events.close();
    },
  };
}
