import type { AdminAuth } from '@fraiseql/core';
import type { Logger } from 'pino';
import { HttpError, type Route } from './http-server.js';

/**
 * Puts a route behind the admin check: `token` routes need a valid token (and an operator
 * token to change anything), `host` routes are open but answer only for the server's own host
 * names. The acting token's name reaches the handler as `actor`, and every change made through
 * a `token` route is logged with it.
 */
export function guardRoute(
  route: Route,
  auth: AdminAuth,
  level: 'token' | 'host',
  logger: Logger,
): Route {
  return {
    ...route,
    handler: async (request) => {
      const result =
        level === 'token'
          ? auth.check(request.raw, { readsOnly: route.readsOnly === true })
          : auth.checkHost(request.raw);
      if (result !== undefined && !result.ok) throw new HttpError(result.status, result.message);
      const actor = result?.principal;
      const response = await route.handler(actor === undefined ? request : { ...request, actor });
      if (
        actor !== undefined &&
        route.readsOnly !== true &&
        route.method !== 'GET' &&
        route.method !== 'HEAD'
      ) {
        logger.info(
          {
            actor: actor.name,
            role: actor.role,
            method: route.method,
            path: request.raw.url?.split('?')[0],
            status: response.status,
          },
          'admin change',
        );
      }
      return response;
    },
  };
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}
