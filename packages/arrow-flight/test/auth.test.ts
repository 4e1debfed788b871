import { create } from '@bufbuild/protobuf';
import { EmptySchema } from '../src/gen/Flight_pb.js';
import { credentials, makeGenericClientConstructor, Metadata } from '@grpc/grpc-js';
import { tableFromArrays } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FlightClient,
  flightServiceDefinition,
  isFlightError,
  pathDescriptor,
  startFlightServer,
  type FlightServer,
} from '@fraiseql/arrow-flight';

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

describe('authentication and permissions', () => {
  let server: FlightServer;

  beforeAll(async () => {
    server = await startFlightServer({
      port: 0,
      auth: {
        users: [
          { username: 'ana', password: 'secret-a', roles: ['analyst'], tenant: 't1' },
          { username: 'bob', password: 'secret-b', roles: ['analyst'], tenant: 't2' },
          { username: 'eve', password: 'secret-e', roles: ['guest'], tenant: 't1' },
        ],
        apiKeys: [{ name: 'etl', key: 'k-0123456789abcdef', roles: ['analyst'], tenant: 't1' }],
      },
    });
    server.registerTable('sales', tableFromArrays({ id: Int32Array.from([1, 2]) }), ['analyst']);
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses every RPC without a token', async () => {
    const client = new FlightClient({ url: server.url });
    try {
      const error = await failure(client.getFlightInfo(pathDescriptor('table', 'sales')));
      expect(isFlightError(error, 'UNAUTHENTICATED')).toBe(true);
      expect((error as { grpcCode: number }).grpcCode).toBe(16);
      expect(isFlightError(await failure(client.listActions()), 'UNAUTHENTICATED')).toBe(true);
    } finally {
      client.close();
    }
  });

  it('refuses wrong credentials in the handshake without saying which part was wrong', async () => {
    const client = new FlightClient({ url: server.url });
    try {
      const error = await failure(client.handshake({ username: 'ana', password: 'nope' }));
      expect(isFlightError(error, 'UNAUTHENTICATED')).toBe(true);
      expect(String(error)).not.toContain('nope');
      const unknownUser = await failure(client.handshake({ username: 'zed', password: 'nope' }));
      expect((unknownUser as Error).message).toBe((error as Error).message);
    } finally {
      client.close();
    }
  });

  it('issues a bearer token on handshake (basic or API key) that opens the other RPCs', async () => {
    for (const credentials of [
      { username: 'ana', password: 'secret-a' },
      { apiKey: 'k-0123456789abcdef' },
    ]) {
      const client = new FlightClient({ url: server.url });
      try {
        const token = await client.handshake(credentials);
        expect(token.split('.')).toHaveLength(3);
        const info = await client.getFlightInfo(pathDescriptor('table', 'sales'));
        expect((await client.doGetTable(info.endpoints[0]!.ticket)).numRows).toBe(2);
      } finally {
        client.close();
      }
    }
  });

  it('accepts plain basic credentials on any call and answers with a bearer token header', async () => {
    const Raw = makeGenericClientConstructor(flightServiceDefinition, 'FlightService');
    const raw = new Raw(`127.0.0.1:${server.address.port}`, credentials.createInsecure());
    try {
      const metadata = new Metadata();
      metadata.set('authorization', `Basic ${Buffer.from('ana:secret-a').toString('base64')}`);
      const call = (raw as unknown as Record<string, (...args: unknown[]) => NodeJS.EventEmitter>)
        .ListActions!(create(EmptySchema), metadata);
      const header = await new Promise<string>((resolve, reject) => {
        call.on('metadata', (received: Metadata) => {
          resolve(String(received.get('authorization')[0]));
        });
        call.on('error', reject);
        call.on('data', () => undefined);
      });
      expect(header).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
      const client = new FlightClient({ url: server.url, token: header.slice('Bearer '.length) });
      expect((await client.listActions()).length).toBe(3);
      const tampered = new FlightClient({ url: server.url, token: `${header.slice(7)}x` });
      expect(isFlightError(await failure(tampered.listActions()), 'UNAUTHENTICATED')).toBe(true);
      client.close();
      tampered.close();
    } finally {
      raw.close();
    }
  });

  it('denies a dataset to a role that may not read it, and hides it from the listing', async () => {
    const client = new FlightClient({ url: server.url });
    try {
      await client.handshake({ username: 'eve', password: 'secret-e' });
      const error = await failure(client.getFlightInfo(pathDescriptor('table', 'sales')));
      expect(isFlightError(error, 'PERMISSION_DENIED')).toBe(true);
      const listed = [];
      for await (const info of client.listFlights()) listed.push(info);
      expect(listed).toHaveLength(0);
    } finally {
      client.close();
    }
  });

  it("refuses a ticket issued to another tenant's caller", async () => {
    const ana = new FlightClient({ url: server.url });
    const bob = new FlightClient({ url: server.url });
    try {
      await ana.handshake({ username: 'ana', password: 'secret-a' });
      await bob.handshake({ username: 'bob', password: 'secret-b' });
      const info = await ana.getFlightInfo(pathDescriptor('table', 'sales'));
      const error = await failure(bob.doGetTable(info.endpoints[0]!.ticket));
      expect(isFlightError(error, 'PERMISSION_DENIED')).toBe(true);
      expect((error as Error).message).toMatch(/another tenant/);
    } finally {
      ana.close();
      bob.close();
    }
  });

  it('refuses to listen beyond loopback without auth', async () => {
    const error = await failure(startFlightServer({ host: '0.0.0.0', port: 0 }));
    expect(isFlightError(error, 'INVALID_ARGUMENT')).toBe(true);
  });
});
