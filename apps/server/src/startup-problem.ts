import type { ServerSettings } from './server-settings.js';

/**
 * A one-line explanation of a start-up failure a user can fix by changing a setting, or
 * undefined for failures that need the full error (logged with its stack).
 */
export function startupProblem(error: unknown, settings: ServerSettings): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'FLIGHT_LISTEN') {
    const flight = settings.flight;
    const at = `${flight?.host ?? ''}:${String(flight?.port ?? '')}`;
    const listen = (error as { listenCode?: unknown }).listenCode;
    if (listen === 'EADDRINUSE') {
      return `Arrow Flight port ${at} is already in use: set FRAISEQL_FLIGHT_PORT to a free port (0 picks one), FRAISEQL_FLIGHT=off to run without Flight, or stop the process using it`;
    }
    return `Arrow Flight cannot listen on ${at} (${typeof listen === 'string' ? listen : (error as Error).message}): set FRAISEQL_FLIGHT_HOST / FRAISEQL_FLIGHT_PORT, or FRAISEQL_FLIGHT=off`;
  }
  const where = `${settings.httpHost}:${String(settings.httpPort)}`;
  if (code === 'EADDRINUSE') {
    return `HTTP port ${where} is already in use: set FRAISEQL_HTTP_PORT to a free port (0 picks one) or stop the process using it`;
  }
  if (code === 'EACCES') {
    return `not allowed to listen on ${where}: set FRAISEQL_HTTP_PORT to a port above 1023`;
  }
  if (code === 'EADDRNOTAVAIL') {
    return `no network interface has the address ${settings.httpHost}: set FRAISEQL_HTTP_HOST to one of this machine's addresses`;
  }
  if (code === 'CONFIG_INVALID' || code === 'CONFIG_ENV_MISSING') {
    return `${(error as Error).message}\nfix the observers config (${settings.configPath ?? 'FRAISEQL_CONFIG'}) and start again; \`fraiseql observers validate-config\` checks it`;
  }
  return undefined;
}
