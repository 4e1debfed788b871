import { randomBytes, randomUUID, webcrypto } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { FlightError } from '../errors.js';
import type { Principal } from '../auth/principal.js';
import type { TicketClaims, TicketKind } from './ticket.js';
import { unwrapStatementTicket } from './statement-ticket.js';

const AUDIENCE = 'fraiseql-flight-ticket';
const TYPE = 'fraiseql-ticket+jwt';
const KINDS: ReadonlySet<string> = new Set<TicketKind>([
  'table',
  'graphql',
  'view',
  'events',
  'export',
  'sql',
]);
const decoder = new TextDecoder('utf-8', { fatal: false });
const REMEMBERED = 4096;

/** Options for {@link createTicketSigner}. */
export interface TicketSignerOptions {
  /**
   * HMAC key (at least 32 bytes). Tickets signed with another key are refused.
   * @defaultValue 32 random bytes per process (tickets do not survive a restart)
   */
  secret?: Uint8Array | string | undefined;
  /**
   * Ticket lifetime in seconds.
   * @defaultValue 300
   */
  ttlSeconds?: number | undefined;
}

/** Issues and verifies tickets: HS256-signed, versioned, expiring JWTs (via `jose`). */
export interface TicketSigner {
  issue(kind: TicketKind, request: unknown, principal: Principal): Promise<Uint8Array>;
  /** @throws {FlightError} `INVALID_TICKET` for anything forged, tampered, expired or unknown. */
  verify(ticket: Uint8Array): Promise<TicketClaims>;
}

/** Creates a {@link TicketSigner}. */
export function createTicketSigner(options: TicketSignerOptions = {}): TicketSigner {
  const key =
    options.secret === undefined
      ? new Uint8Array(randomBytes(32))
      : typeof options.secret === 'string'
        ? new TextEncoder().encode(options.secret)
        : options.secret;
  if (key.byteLength < 32) {
    throw new FlightError('INVALID_ARGUMENT', 'tickets.secret: must be at least 32 bytes');
  }
  const ttl = options.ttlSeconds ?? 300;
  const encoder = new TextEncoder();
  // Imported once: jose would import a raw key again on every sign and verify.
  let imported: Promise<webcrypto.CryptoKey> | undefined;
  const cryptoKey = (): Promise<webcrypto.CryptoKey> =>
    (imported ??= webcrypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]));
  // Tickets issued here, by their exact text, so that redeeming one (DoGet right after
  // GetFlightInfo) costs no second HMAC. Bounded; the oldest go first, and a ticket that is
  // not here is verified in full.
  const issued = new Map<string, TicketClaims>();
  const remember = (jwt: string, claims: TicketClaims): void => {
    if (issued.size >= REMEMBERED) {
      const oldest = issued.keys().next().value;
      if (oldest !== undefined) issued.delete(oldest);
    }
    issued.set(jwt, claims);
  };
  return {
    async issue(kind, request, principal) {
      const streamId = randomUUID();
      const expiresAt = Math.floor(Date.now() / 1000) + ttl;
      const jwt = await new SignJWT({ v: 1, k: kind, r: request, tn: principal.tenant ?? null })
        .setProtectedHeader({ alg: 'HS256', typ: TYPE })
        .setSubject(principal.subject)
        .setAudience(AUDIENCE)
        .setJti(streamId)
        .setIssuedAt()
        .setExpirationTime(expiresAt)
        .sign(await cryptoKey());
      remember(jwt, {
        version: 1,
        kind,
        // What the token carries, as a verified ticket would return it.
        request:
          request === undefined ? undefined : (JSON.parse(JSON.stringify(request)) as unknown),
        subject: principal.subject,
        tenant: principal.tenant,
        streamId,
        expiresAt,
      });
      return encoder.encode(jwt);
    },
    async verify(ticket) {
      const text = unwrap(decoder.decode(unwrapStatementTicket(ticket)));
      // The exact bytes of a ticket this signer issued, still valid: nothing to check again.
      const known = issued.get(text);
      if (known !== undefined && known.expiresAt > Date.now() / 1000) return known;
      try {
        const { payload } = await jwtVerify(text, await cryptoKey(), {
          algorithms: ['HS256'],
          audience: AUDIENCE,
          typ: TYPE,
          requiredClaims: ['exp', 'sub', 'jti'],
        });
        if (payload.v !== 1) {
          throw new FlightError(
            'INVALID_TICKET',
            `ticket: unsupported version ${String(payload.v)}`,
          );
        }
        if (typeof payload.k !== 'string' || !KINDS.has(payload.k)) {
          throw new FlightError('INVALID_TICKET', 'ticket: unknown kind');
        }
        return {
          version: 1,
          kind: payload.k as TicketKind,
          request: payload.r,
          subject: payload.sub ?? '',
          tenant: typeof payload.tn === 'string' ? payload.tn : undefined,
          streamId: payload.jti ?? '',
          expiresAt: payload.exp ?? 0,
        };
      } catch (error) {
        if (error instanceof FlightError) throw error;
        const expired = error instanceof joseErrors.JWTExpired;
        throw new FlightError(
          'INVALID_TICKET',
          expired
            ? 'ticket: expired; ask GetFlightInfo for a new one'
            : 'ticket: invalid or tampered',
          { cause: error },
        );
      }
    },
  };
}

/**
 * Accepts a ticket wrapped the way InfluxDB 3 clients send theirs (`{"sql_query": …}` JSON),
 * so such clients can redeem a FraiseQL ticket passed as their query text.
 */
function unwrap(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  try {
    const parsed = JSON.parse(trimmed) as { sql_query?: unknown };
    return typeof parsed.sql_query === 'string' ? parsed.sql_query.trim() : '';
  } catch {
    return '';
  }
}
