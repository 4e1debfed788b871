import type * as FlightPackage from '@fraiseql/arrow-flight';
import type { CommandContext, OptionSpec } from '../command.js';
import { importOptional } from '../context/import-optional.js';
import { CliError } from '../errors.js';

/** Where the Flight server is and the credentials to use. */
export const CONNECTION = {
  url: {
    type: 'string',
    value: 'url',
    description: 'Flight server (default: FRAISEQL_FLIGHT_URL, then grpc://127.0.0.1:50051)',
  },
  token: {
    type: 'string',
    value: 'token',
    description:
      'API key or bearer token (default: FRAISEQL_FLIGHT_TOKEN, then FRAISEQL_ADMIN_TOKEN); the reference server takes its admin token',
  },
} as const satisfies Record<string, OptionSpec>;

/** The `@fraiseql/arrow-flight` module. */
export type FlightModule = typeof FlightPackage;

export function loadFlight(usedBy: string): Promise<FlightModule> {
  // An optional peer loaded on use: gRPC and Arrow are heavy and only these commands need them.
  return importOptional(() => import('@fraiseql/arrow-flight'), '@fraiseql/arrow-flight', usedBy);
}

export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Maps a Flight failure to the CLI's codes: an unreachable server, or what the server said. */
function failure(flight: FlightModule, url: string, error: unknown): CliError {
  if (flight.isFlightError(error, 'UNAVAILABLE')) {
    return new CliError(
      'SERVICE_UNREACHABLE',
      `cannot reach the Flight server at ${url}: check that it runs (the reference server serves Flight on 127.0.0.1:50051) or pass --url`,
      { cause: error },
    );
  }
  if (flight.isFlightError(error, 'UNAUTHENTICATED')) {
    return new CliError(
      'FAILED',
      `${(error as Error).message}: pass --token (the reference server takes its admin token, .fraiseql/admin-token)`,
      { cause: error },
    );
  }
  if (flight.isFlightError(error, 'NOT_FOUND')) {
    return new CliError('NOT_FOUND', (error as Error).message, { cause: error });
  }
  return new CliError('FAILED', error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}

/** Runs `use` with a client of the configured server, mapping its failures to CLI errors. */
export async function withClient<T>(
  context: CommandContext,
  usedBy: string,
  use: (flight: FlightModule, client: InstanceType<FlightModule['FlightClient']>) => Promise<T>,
): Promise<T> {
  const flight = await loadFlight(usedBy);
  const url =
    text(context.values.url) ?? text(context.env.FRAISEQL_FLIGHT_URL) ?? 'grpc://127.0.0.1:50051';
  const token =
    text(context.values.token) ??
    text(context.env.FRAISEQL_FLIGHT_TOKEN) ??
    text(context.env.FRAISEQL_ADMIN_TOKEN);
  const client = new flight.FlightClient({ url, ...(token === undefined ? {} : { token }) });
  try {
    return await use(flight, client);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw failure(flight, url, error);
  } finally {
    client.close();
  }
}
