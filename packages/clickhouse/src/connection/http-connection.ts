import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  ClickHouseLogLevel,
  createClient,
  type ClickHouseClient,
  type Logger as ClientLogger,
} from '@clickhouse/client';
import { silentLogger, type Logger } from '@fraiseql/core';
import { ClickHouseError } from '../errors.js';
import { classifyFailure } from './classify-failure.js';
import type { ClickHouseConnection, RoundTripOptions } from './clickhouse-connection.js';

/** Options of {@link createHttpConnection}. */
export interface HttpConnectionOptions {
  /** `http(s)://user:password@host:port/database`; credentials never appear in errors or logs. */
  readonly url: string;
  /**
   * Timeout of one round trip.
   * @defaultValue 30000
   */
  readonly requestTimeoutMs?: number | undefined;
  /** @defaultValue silence */
  readonly logger?: Logger | undefined;
}

/**
 * A {@link ClickHouseConnection} over HTTP with `@clickhouse/client`: a keep-alive socket pool,
 * the client's own console logging routed to `logger`, failures classified in one place.
 *
 * @throws {ClickHouseError} `INVALID_ARGUMENT` for a URL that is not http(s)
 */
export function createHttpConnection(options: HttpConnectionOptions): ClickHouseConnection {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (error) {
    throw new ClickHouseError('INVALID_ARGUMENT', 'clickhouse url: not a valid URL', {
      cause: error,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ClickHouseError(
      'INVALID_ARGUMENT',
      `clickhouse url: expected http:// or https://, got ${url.protocol}`,
    );
  }
  const description = `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  const logger = options.logger ?? silentLogger;
  const client: ClickHouseClient = createClient({
    url: options.url,
    request_timeout: options.requestTimeoutMs ?? 30_000,
    log: { LoggerClass: loggerClass(logger), level: ClickHouseLogLevel.WARN },
  });
  let closed = false;

  const guard = (doing: string): void => {
    if (closed) throw new ClickHouseError('CLOSED', `${doing}: the connection is closed`);
  };
  const fail = (error: unknown, doing: string): never => {
    throw classifyFailure({ error, httpStatus: statusOf(error) }, `${doing} (${description})`);
  };

  return {
    description,
    async query<Row>(sql: string, opts: RoundTripOptions = {}): Promise<Row[]> {
      guard('query');
      try {
        const result = await client.query({
          query: sql,
          format: 'JSONEachRow',
          ...(opts.signal === undefined ? {} : { abort_signal: opts.signal }),
          ...(opts.settings === undefined ? {} : { clickhouse_settings: opts.settings }),
        });
        return await result.json<Row>();
      } catch (error) {
        return fail(error, 'query');
      }
    },
    async command(sql: string, opts: RoundTripOptions = {}): Promise<void> {
      guard('command');
      try {
        await client.command({
          query: sql,
          ...(opts.signal === undefined ? {} : { abort_signal: opts.signal }),
          ...(opts.settings === undefined ? {} : { clickhouse_settings: opts.settings }),
        });
      } catch (error) {
        fail(error, 'command');
      }
    },
    async insertLines(table, columns, format, body, opts: RoundTripOptions = {}): Promise<void> {
      guard('insert');
      try {
        // `exec` sends the pre-encoded lines as the request body unchanged: the rows were
        // serialised once, when they entered the batch, and their size counted then.
        const result = await client.exec({
          query: `INSERT INTO ${table} (${columns.join(', ')}) FORMAT ${format}`,
          values: Readable.from([typeof body === 'string' ? Buffer.from(body) : body]),
          ...(opts.signal === undefined ? {} : { abort_signal: opts.signal }),
          ...(opts.settings === undefined ? {} : { clickhouse_settings: opts.settings }),
        });
        const response = result.stream as unknown as Readable;
        response.resume();
        await finished(response);
      } catch (error) {
        fail(error, 'insert');
      }
    },
    async ping(opts: RoundTripOptions = {}): Promise<void> {
      guard('ping');
      // `SELECT 1` rather than /ping: it proves the user can run statements.
      await this.query('SELECT 1 AS ok', opts);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

// The client logs every failed request at ERROR on its own; those failures reach the caller
// as rejections, so they go to debug here and the caller decides what to log.
function loggerClass(logger: Logger): new () => ClientLogger {
  return class implements ClientLogger {
    trace(): void {
      // Per-request tracing is not forwarded: it would flood any logger.
    }
    debug({ message }: { message: string }): void {
      logger.debug({ component: 'clickhouse-client' }, message);
    }
    info({ message }: { message: string }): void {
      logger.debug({ component: 'clickhouse-client' }, message);
    }
    warn({ message }: { message: string }): void {
      logger.warn({ component: 'clickhouse-client' }, message);
    }
    error({ message }: { message: string }): void {
      logger.debug({ component: 'clickhouse-client' }, message);
    }
  };
}
