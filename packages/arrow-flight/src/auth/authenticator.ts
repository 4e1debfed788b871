import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { fromBinary } from '@bufbuild/protobuf';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { FlightError } from '../errors.js';
import { BasicAuthSchema } from '../gen/Flight_pb.js';
import { ANONYMOUS, type Principal } from './principal.js';

/** A user who may sign in with basic credentials. */
export interface FlightUser {
  readonly username: string;
  readonly password: string;
  readonly roles: readonly string[];
  /** Restricts the user to one tenant's rows. */
  readonly tenant?: string | undefined;
}

/** An API key, sent as `authorization: Bearer <key>` or as the handshake payload. */
export interface FlightApiKey {
  /** Name the key is known by in logs and tickets (never the key itself). */
  readonly name: string;
  readonly key: string;
  readonly roles: readonly string[];
  readonly tenant?: string | undefined;
}

/** Options for {@link createAuthenticator}. */
export interface AuthenticatorOptions {
  readonly users?: readonly FlightUser[] | undefined;
  readonly apiKeys?: readonly FlightApiKey[] | undefined;
  /**
   * Key that signs bearer tokens (HS256, at least 32 bytes).
   * @defaultValue 32 random bytes per process
   */
  readonly tokenSecret?: Uint8Array | string | undefined;
  /**
   * Bearer token lifetime in seconds.
   * @defaultValue 900
   */
  readonly tokenTtlSeconds?: number | undefined;
}

/** The outcome of authenticating one call. */
export interface Authenticated {
  readonly principal: Principal;
  /** A fresh bearer token when the call came with credentials rather than a token. */
  readonly issuedToken: string | undefined;
}

/** Checks credentials and bearer tokens; issues short-lived tokens (JWT via `jose`). */
export interface Authenticator {
  /** True when any credential is configured: every call then needs a token. */
  readonly enabled: boolean;
  /**
   * Authenticates from an `authorization` header value and/or a handshake payload.
   * @throws {FlightError} `UNAUTHENTICATED`.
   */
  authenticate(authorization: string | undefined, payload?: Uint8Array): Promise<Authenticated>;
  issueToken(principal: Principal): Promise<string>;
}

const AUDIENCE = 'fraiseql-flight';
const TYPE = 'fraiseql-token+jwt';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Creates an {@link Authenticator}; with no users and no API keys it admits everyone. */
export function createAuthenticator(options: AuthenticatorOptions = {}): Authenticator {
  const users = options.users ?? [];
  const apiKeys = options.apiKeys ?? [];
  const enabled = users.length > 0 || apiKeys.length > 0;
  const secret =
    options.tokenSecret === undefined
      ? new Uint8Array(randomBytes(32))
      : typeof options.tokenSecret === 'string'
        ? new TextEncoder().encode(options.tokenSecret)
        : options.tokenSecret;
  if (secret.byteLength < 32) {
    throw new FlightError('INVALID_ARGUMENT', 'auth.tokenSecret: must be at least 32 bytes');
  }
  const ttl = options.tokenTtlSeconds ?? 900;
  const unauthenticated = (message: string, cause?: unknown): FlightError =>
    new FlightError('UNAUTHENTICATED', message, cause === undefined ? {} : { cause });

  const basic = (username: string, password: string): Principal => {
    // Compare against every user so that timing does not tell which usernames exist.
    let found: FlightUser | undefined;
    for (const user of users) {
      const nameOk = sameSecret(username, user.username);
      const passwordOk = sameSecret(password, user.password);
      if (nameOk && passwordOk) found = user;
    }
    if (found === undefined) throw unauthenticated('invalid username or password');
    return { subject: found.username, roles: [...found.roles], tenant: found.tenant };
  };

  const apiKey = (key: string): Principal | undefined => {
    let found: FlightApiKey | undefined;
    for (const candidate of apiKeys) if (sameSecret(key, candidate.key)) found = candidate;
    return found === undefined
      ? undefined
      : { subject: `key:${found.name}`, roles: [...found.roles], tenant: found.tenant };
  };

  const verifyToken = async (token: string): Promise<Principal> => {
    try {
      const { payload } = await jwtVerify(token, secret, {
        algorithms: ['HS256'],
        audience: AUDIENCE,
        typ: TYPE,
        requiredClaims: ['exp', 'sub'],
      });
      const roles = Array.isArray(payload.roles)
        ? payload.roles.filter((role): role is string => typeof role === 'string')
        : [];
      return {
        subject: payload.sub ?? '',
        roles,
        tenant: typeof payload.tenant === 'string' ? payload.tenant : undefined,
      };
    } catch (error) {
      throw unauthenticated(
        error instanceof joseErrors.JWTExpired
          ? 'bearer token expired; authenticate again'
          : 'invalid bearer token',
        error,
      );
    }
  };

  const issueToken = (principal: Principal): Promise<string> =>
    new SignJWT({ roles: [...principal.roles], tenant: principal.tenant ?? null })
      .setProtectedHeader({ alg: 'HS256', typ: TYPE })
      .setSubject(principal.subject)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
      .sign(secret);

  return {
    enabled,
    issueToken,
    async authenticate(authorization, payload) {
      if (!enabled) return { principal: ANONYMOUS, issuedToken: undefined };
      const header = authorization?.trim() ?? '';
      const space = header.indexOf(' ');
      const scheme = space < 0 ? '' : header.slice(0, space).toLowerCase();
      const value = space < 0 ? '' : header.slice(space + 1).trim();
      if (scheme === 'basic') {
        const decoded = Buffer.from(value, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon < 0) throw unauthenticated('malformed basic credentials');
        const principal = basic(decoded.slice(0, colon), decoded.slice(colon + 1));
        return { principal, issuedToken: await issueToken(principal) };
      }
      if (scheme === 'bearer' && value !== '') {
        const keyed = apiKey(value);
        if (keyed !== undefined) return { principal: keyed, issuedToken: await issueToken(keyed) };
        return { principal: await verifyToken(value), issuedToken: undefined };
      }
      if (payload !== undefined && payload.byteLength > 0) {
        const principal = fromPayload(payload, basic, apiKey);
        return { principal, issuedToken: await issueToken(principal) };
      }
      throw unauthenticated('authentication required: send authorization: Bearer <token>');
    },
  };
}

/**
 * A handshake payload: a serialised `BasicAuth` message (username field 2, password field 3),
 * as Arrow's basic-auth handlers send it, or the API key itself.
 */
function fromPayload(
  payload: Uint8Array,
  basic: (username: string, password: string) => Principal,
  apiKey: (key: string) => Principal | undefined,
): Principal {
  const credentials = parseBasicAuth(payload);
  if (credentials !== undefined) return basic(credentials.username, credentials.password);
  const keyed = apiKey(new TextDecoder().decode(payload));
  if (keyed === undefined)
    throw new FlightError('UNAUTHENTICATED', 'invalid handshake credentials');
  return keyed;
}

function parseBasicAuth(bytes: Uint8Array): { username: string; password: string } | undefined {
  try {
    const message = fromBinary(BasicAuthSchema, bytes);
    if (message.username === '' || message.password === '') return undefined;
    return { username: message.username, password: message.password };
  } catch {
    return undefined;
  }
}
