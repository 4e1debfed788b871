import type { IncomingMessage } from 'node:http';

import { findAdminToken, type AdminRole, type AdminToken } from './admin-token.js';

/** Who is acting: the name and role of the token a request presented. */
export interface AdminPrincipal {
  readonly name: string;
  readonly role: AdminRole;
}

/** The outcome of {@link AdminAuth.check}. */
export type AdminAuthResult =
  | { readonly ok: true; readonly principal: AdminPrincipal }
  | { readonly ok: false; readonly status: 400 | 401 | 403 | 421; readonly message: string };

/** Options of {@link createAdminAuth}. */
export interface AdminAuthOptions {
  /** Accepted tokens; a request must present one as `Authorization: Bearer <token>`. */
  readonly tokens: readonly AdminToken[];
  /**
   * `Host` header values accepted (`127.0.0.1:8080`, `admin.example.com`), compared without
   * case. A request naming any other host is refused: that is what stops DNS rebinding.
   */
  readonly allowedHosts: readonly string[];
  /**
   * Origins a browser may send state-changing requests from (`http://127.0.0.1:8080`).
   * @defaultValue `http://` and `https://` of each allowed host
   */
  readonly allowedOrigins?: readonly string[];
}

/** Checks admin requests: host, origin, token and role. */
export interface AdminAuth {
  /**
   * Checks a request: its `Host` (421 when foreign), for methods other than GET/HEAD its
   * `Origin` and `Sec-Fetch-Site` (403 when cross-site), its bearer token (401 when missing or
   * wrong, compared in constant time), and that a `read-only` token only reads (403). With
   * `readsOnly`, a POST that changes nothing (an on-demand check) is allowed to `read-only`
   * tokens too; its origin is still checked.
   */
  check(request: IncomingMessage, options?: AdminCheckOptions): AdminAuthResult;
  /** Only the `Host` check, for routes that are open but must not answer rebound names. */
  checkHost(request: IncomingMessage): AdminAuthResult | undefined;
}

/** Options of {@link AdminAuth.check}. */
export interface AdminCheckOptions {
  /**
   * The request changes nothing whatever its method (a POST that runs a read-only check), so a
   * `read-only` token may make it.
   * @defaultValue false
   */
  readonly readsOnly?: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * Creates the admin API's access check, shared by every admin surface (the reference server's
 * `/admin` routes, a console mounted beside them): the same tokens, roles and host rules.
 *
 * @example
 * const auth = createAdminAuth({ tokens: [{ name: 'ops', role: 'operator', token }], allowedHosts: ['127.0.0.1:8080'] });
 * const result = auth.check(request); // result.ok ? result.principal.name : result.status
 */
export function createAdminAuth(options: AdminAuthOptions): AdminAuth {
  const hosts = new Set(options.allowedHosts.map((host) => host.toLowerCase()));
  const origins = new Set(
    (
      options.allowedOrigins ??
      options.allowedHosts.flatMap((host) => [`http://${host}`, `https://${host}`])
    ).map((origin) => origin.toLowerCase()),
  );
  const tokens = [...options.tokens];

  const checkHost = (request: IncomingMessage): AdminAuthResult | undefined => {
    const host = request.headers.host?.toLowerCase();
    if (host === undefined || !hosts.has(host)) {
      return {
        ok: false,
        status: 421,
        message: `this server does not answer for host ${JSON.stringify(request.headers.host ?? '')}`,
      };
    }
    return undefined;
  };

  return {
    checkHost,
    check(request, checkOptions) {
      const hostProblem = checkHost(request);
      if (hostProblem !== undefined) return hostProblem;
      const method = (request.method ?? 'GET').toUpperCase();
      const safe = SAFE_METHODS.has(method);
      if (!safe) {
        const origin = request.headers.origin;
        if (origin !== undefined && !origins.has(origin.toLowerCase())) {
          return { ok: false, status: 403, message: `cross-origin ${method} refused` };
        }
        const site = request.headers['sec-fetch-site'];
        if (site === 'cross-site' || site === 'same-site') {
          return { ok: false, status: 403, message: `cross-site ${method} refused` };
        }
      }
      const header = request.headers.authorization;
      const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
      const presented = match?.[1];
      if (presented === undefined) {
        return {
          ok: false,
          status: 401,
          message: 'admin token required: send Authorization: Bearer <token>',
        };
      }
      const token = findAdminToken(tokens, presented);
      if (token === undefined) return { ok: false, status: 401, message: 'invalid admin token' };
      if (!safe && checkOptions?.readsOnly !== true && token.role !== 'operator') {
        return {
          ok: false,
          status: 403,
          message: `token ${JSON.stringify(token.name)} is read-only: ${method} needs an operator token`,
        };
      }
      return { ok: true, principal: { name: token.name, role: token.role } };
    },
  };
}
