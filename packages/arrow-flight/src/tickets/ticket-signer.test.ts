import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { isFlightError } from '../errors.js';
import { createTicketSigner } from './ticket-signer.js';

const secret = 'a-ticket-secret-of-at-least-32-bytes!';
const alice = { subject: 'alice', roles: ['analyst'], tenant: 't1' };
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (value: string) => new TextEncoder().encode(value);

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isFlightError(error, 'INVALID_TICKET')).toBe(true);
  return (error as Error).message;
}

describe('tickets', () => {
  it('round-trips kind, request, subject, tenant and a stream id', async () => {
    const signer = createTicketSigner({ secret });
    const ticket = await signer.issue('view', { view: 'va_orders', limit: 5 }, alice);
    const claims = await signer.verify(ticket);
    expect(claims).toMatchObject({
      version: 1,
      kind: 'view',
      request: { view: 'va_orders', limit: 5 },
      subject: 'alice',
      tenant: 't1',
    });
    expect(claims.streamId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('redeems a ticket it issued to the same claims a verifier that never saw it reads', async () => {
    const signer = createTicketSigner({ secret });
    const ticket = await signer.issue('graphql', { query: '{ a }', variables: { n: 1 } }, alice);
    const remembered = await signer.verify(ticket);
    const verified = await createTicketSigner({ secret }).verify(ticket);
    expect(remembered).toEqual(verified);
    await refusal(createTicketSigner({ secret: `${secret}-other` }).verify(ticket));
  });

  it('refuses a ticket with any byte of its payload changed (a widened request)', async () => {
    const signer = createTicketSigner({ secret });
    const ticket = text(await signer.issue('view', { view: 'va_orders', limit: 5 }, alice));
    const [header, payload, signature] = ticket.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as {
      r: { limit: number };
    };
    claims.r.limit = 5_000_000;
    const widened = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect(await refusal(signer.verify(bytes(widened)))).toMatch(/invalid or tampered/);
  });

  it('refuses a ticket signed with another key, an expired one and a wrong version', async () => {
    const signer = createTicketSigner({ secret });
    const other = createTicketSigner({ secret: 'another-secret-that-is-long-enough!!' });
    expect(await refusal(signer.verify(await other.issue('view', {}, alice)))).toMatch(/invalid/);

    const key = bytes(secret);
    const sign = (claims: Record<string, unknown>, expires: number) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'fraiseql-ticket+jwt' })
        .setSubject('alice')
        .setAudience('fraiseql-flight-ticket')
        .setJti('00000000-0000-4000-8000-000000000000')
        .setExpirationTime(expires)
        .sign(key);
    const expired = await sign({ v: 1, k: 'view', r: {} }, Math.floor(Date.now() / 1000) - 60);
    expect(await refusal(signer.verify(bytes(expired)))).toMatch(/expired/);
    const future = await sign({ v: 2, k: 'view', r: {} }, Math.floor(Date.now() / 1000) + 60);
    expect(await refusal(signer.verify(bytes(future)))).toMatch(/version 2/);
    const unknownKind = await sign({ v: 1, k: 'shell', r: {} }, Math.floor(Date.now() / 1000) + 60);
    expect(await refusal(signer.verify(bytes(unknownKind)))).toMatch(/unknown kind/);
  });

  it('refuses an unsigned (alg none) ticket and garbage', async () => {
    const signer = createTicketSigner({ secret });
    const unsigned =
      Buffer.from(JSON.stringify({ alg: 'none', typ: 'fraiseql-ticket+jwt' })).toString(
        'base64url',
      ) +
      '.' +
      Buffer.from(JSON.stringify({ v: 1, k: 'view', r: {}, sub: 'x', exp: 9e9 })).toString(
        'base64url',
      ) +
      '.';
    await refusal(signer.verify(bytes(unsigned)));
    await refusal(signer.verify(bytes('garbage')));
    await refusal(signer.verify(new Uint8Array([0xff, 0xfe, 0x00])));
  });

  it('accepts a ticket wrapped as an InfluxDB query and nothing else in that wrapper', async () => {
    const signer = createTicketSigner({ secret });
    const ticket = text(await signer.issue('table', { name: 'x' }, alice));
    const wrapped = JSON.stringify({ database: 'd', sql_query: ticket, query_type: 'sql' });
    expect((await signer.verify(bytes(wrapped))).kind).toBe('table');
    await refusal(signer.verify(bytes(JSON.stringify({ sql_query: 'SELECT 1' }))));
  });

  it('refuses a short secret', () => {
    expect(() => createTicketSigner({ secret: 'short' })).toThrow(/at least 32 bytes/);
  });
});
