import { create, toBinary } from '@bufbuild/protobuf';
import { credentials, makeGenericClientConstructor, Metadata } from '@grpc/grpc-js';
import {
  coreMigrations,
  connectDatabase,
  migrate,
  type Logger,
  type SqlClient,
} from '@fraiseql/core';
import {
  createChangeLogSource,
  listChangeLogConsumers,
  observerMigrations,
} from '@fraiseql/observers';
import { createTestDatabase, requireService, waitFor, type TestDatabase } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEventExchange,
  encodeFlightData,
  exchangeConsumerName,
  FlightClient,
  flightServiceDefinition,
  isFlightError,
  startFlightServer,
  type EventExchange,
  type ExchangedBatch,
  type FlightServer,
} from '@fraiseql/arrow-flight';
import { FlightDescriptorSchema, FlightDescriptor_DescriptorType } from '../src/gen/Flight_pb.js';

const postgres = await requireService('postgres');

const INSERT_MANY = `INSERT INTO core.tb_entity_change_log
  (object_type, object_id, modification_type, object_data, tenant_id)
  SELECT $1, $1 || '-' || g, 'INSERT', jsonb_build_object('n', g), $3
  FROM generate_series(1, $2::int) g`;

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

function seqs(batch: ExchangedBatch): string[] {
  const values = (batch.batch.getChild('seq')?.toArray() ?? []) as ArrayLike<bigint>;
  return Array.from(values, String);
}

/** Reads batches until `count` events arrived; acknowledges each batch when `ack` is set. */
async function take(exchange: EventExchange, count: number, ack: boolean): Promise<string[]> {
  const got: string[] = [];
  for await (const batch of exchange) {
    got.push(...seqs(batch));
    if (ack) await batch.ack();
    if (got.length >= count) break;
  }
  return got;
}

describe.skipIf(postgres === undefined)('DoExchange: durable event consumer', () => {
  let database: TestDatabase;
  let db: SqlClient;
  let server: FlightServer;
  let url: string;
  const errors: unknown[] = [];
  const logger: Logger = {
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (fields: unknown) => errors.push(fields),
    fatal: () => undefined,
    child() {
      return logger;
    },
  } as unknown as Logger;

  const write = (entity: string, count: number, tenant: string | null = null) =>
    db.query(INSERT_MANY, [entity, count, tenant]);

  beforeAll(async () => {
    database = await createTestDatabase(postgres);
    db = await connectDatabase({ url: database.url });
    await migrate(db, { sets: [coreMigrations, observerMigrations] });
    server = await startFlightServer({
      port: 0,
      logger,
      auth: {
        users: [
          { username: 'ops', password: 'secret-o', roles: ['consumer'] },
          { username: 'ana', password: 'secret-a', roles: ['consumer'], tenant: 't1' },
          { username: 'eve', password: 'secret-e', roles: ['guest'] },
        ],
      },
      extensions: [
        createEventExchange({
          roles: ['consumer'],
          logger,
          source: (consumer, { startFrom }) =>
            createChangeLogSource(db, { consumer, startFrom, pollInterval: '200ms', logger }),
        }),
      ],
    });
    url = server.url;
  });

  afterAll(async () => {
    await server.close();
    await db.close();
    await database.close();
  });

  const client = async (username = 'ops', password = 'secret-o'): Promise<FlightClient> => {
    const flight = new FlightClient({ url });
    await flight.handshake({ username, password });
    return flight;
  };

  it('resumes after the last acknowledged event: only the unacknowledged batches come again', async () => {
    await write('resume', 30);
    const flight = await client();
    try {
      const first = flight.exchangeEvents({
        consumer: 'resume',
        entityTypes: ['resume'],
        batchRows: 10,
      });
      const batches: ExchangedBatch[] = [];
      for await (const batch of first) {
        batches.push(batch);
        if (batches.length === 1) await batch.ack();
        if (batches.length === 2) break;
      }
      // The first batch is acknowledged, the second is not; leaving the loop ends the exchange.
      expect(batches.map((b) => b.batch.numRows)).toEqual([10, 10]);
      const [one, two] = batches as [ExchangedBatch, ExchangedBatch];
      const second = flight.exchangeEvents({
        consumer: 'resume',
        entityTypes: ['resume'],
        batchRows: 10,
      });
      // An acknowledgement after the exchange ended is refused, not silently dropped.
      expect(isFlightError(await failure(one.ack()), 'CLOSED')).toBe(true);
      const again = await take(second, 20, true);
      await second.close();
      expect(again.slice(0, 10)).toEqual(seqs(two));
      expect(new Set([...seqs(one), ...again]).size).toBe(30);
      expect(again).not.toContain(seqs(one)[0]);

      // Everything acknowledged: a third exchange gets nothing until a new event commits.
      const third = flight.exchangeEvents({ consumer: 'resume', entityTypes: ['resume'] });
      await write('resume', 1);
      const last = await take(third, 1, true);
      await third.close();
      expect(last).toHaveLength(1);
      expect(BigInt(last[0] ?? 0)).toBeGreaterThan(BigInt(again.at(-1) ?? 0));
    } finally {
      flight.close();
    }
  });

  it('acknowledges cumulatively: ack(seq) covers every event received up to that one', async () => {
    await write('cumulative', 12);
    const flight = await client();
    const open = () =>
      flight.exchangeEvents({ consumer: 'cumulative', entityTypes: ['cumulative'], batchRows: 4 });
    try {
      // Received, never acknowledged: all of it comes again, in the same order.
      const got = await take(open(), 12, false);
      const exchange = open();
      const again: string[] = [];
      for await (const batch of exchange) {
        again.push(...seqs(batch));
        if (again.length === 12) {
          // The 6th event, in the middle of the second batch.
          await exchange.ack(again[5] ?? '');
          break;
        }
      }
      expect(again).toEqual(got);
      const rest = await take(open(), 6, true);
      expect(rest).toEqual(got.slice(6));
    } finally {
      flight.close();
    }
  });

  it('gives two exchanges on one consumer disjoint events, all of them between the two', async () => {
    await write('shared', 400);
    const one = await client();
    const two = await client();
    try {
      const seen: string[][] = [[], []];
      const exchanges = [one, two].map((flight) =>
        flight.exchangeEvents({
          consumer: 'shared',
          entityTypes: ['shared'],
          batchRows: 20,
          window: 40,
        }),
      );
      const run = async (exchange: EventExchange, into: string[]): Promise<void> => {
        for await (const batch of exchange) {
          into.push(...seqs(batch));
          await batch.ack();
          // All delivered between the two: end both (the other may be waiting for more).
          if (seen[0]!.length + seen[1]!.length >= 400) {
            await Promise.all(exchanges.map((e) => e.close()));
          }
        }
      };
      await Promise.all([run(exchanges[0]!, seen[0]!), run(exchanges[1]!, seen[1]!)]);
      const [a, b] = seen as [string[], string[]];
      expect(a.filter((seq) => b.includes(seq))).toEqual([]);
      expect(new Set([...a, ...b]).size).toBe(400);
    } finally {
      one.close();
      two.close();
    }
  });

  it('never has more than the window sent and unacknowledged', async () => {
    const flight = await client();
    const stored = exchangeConsumerName('credit');
    const exchange = flight.exchangeEvents({
      consumer: 'credit',
      startFrom: 'now',
      window: 5,
      batchRows: 5,
    });
    const iterator: AsyncIterator<ExchangedBatch> = exchange[Symbol.asyncIterator]();
    try {
      // Registered at "now": the 50 events below are the only ones after its cursor.
      const first = iterator.next();
      await waitFor(async () =>
        (await listChangeLogConsumers(db)).some((c) => c.consumer === stored),
      );
      await write('credit', 50);
      const received: ExchangedBatch[] = [(await first).value as ExchangedBatch];
      let count = received[0]?.batch.numRows ?? 0;
      while (count < 5) {
        const next = (await iterator.next()).value as ExchangedBatch;
        received.push(next);
        count += next.batch.numRows;
      }
      expect(count).toBe(5);
      // Claimed by the exchange and not finished: exactly the window, not the 50 waiting.
      const status = (await listChangeLogConsumers(db)).find((c) => c.consumer === stored);
      expect(status?.inFlight).toBe(5);
      await exchange.ack(received.at(-1)?.lastSeq ?? 0n);
      const next = (await iterator.next()).value as ExchangedBatch;
      expect(next.firstSeq).toBeGreaterThan(received.at(-1)?.lastSeq ?? 0n);
    } finally {
      await iterator.return?.();
      flight.close();
    }
  });

  it('cancelling ends the exchange quietly and hands its events back', async () => {
    await write('cancel', 10);
    const flight = await client();
    const errorsBefore = errors.length;
    try {
      const controller = new AbortController();
      const exchange = flight.exchangeEvents({
        consumer: 'cancel',
        entityTypes: ['cancel'],
        signal: controller.signal,
      });
      const got: string[] = [];
      const error = await failure(
        (async () => {
          for await (const batch of exchange) {
            got.push(...seqs(batch));
            if (got.length === 10) controller.abort();
          }
        })(),
      );
      expect(isFlightError(error, 'CANCELLED')).toBe(true);
      expect(got).toHaveLength(10);
      const again = flight.exchangeEvents({ consumer: 'cancel', entityTypes: ['cancel'] });
      const redelivered: string[] = [];
      let counted = 0;
      for await (const batch of again) {
        redelivered.push(...seqs(batch));
        counted += batch.redelivered;
        await batch.ack();
        if (redelivered.length === 10) break;
      }
      expect(redelivered).toEqual(got);
      expect(counted).toBe(10);
      await waitFor(() => server.health().then((h) => h.activeStreams === 0));
      expect(errors.length).toBe(errorsBefore);
    } finally {
      flight.close();
    }
  });

  it('keeps tenants apart and applies roles as the events ticket does', async () => {
    await write('tenanted', 3, 't1');
    await write('tenanted', 3, 't2');
    const ana = await client('ana', 'secret-a');
    const eve = await client('eve', 'secret-e');
    const anonymous = new FlightClient({ url });
    try {
      const exchange = ana.exchangeEvents({ consumer: 'tenants', entityTypes: ['tenanted'] });
      const rows: unknown[] = [];
      for await (const batch of exchange) {
        const tenants = (batch.batch.getChild('tenant_id')?.toArray() ?? []) as ArrayLike<unknown>;
        rows.push(...Array.from(tenants));
        await batch.ack();
        if (rows.length >= 3) break;
      }
      expect(rows).toEqual(['t1', 't1', 't1']);
      const stored = (await listChangeLogConsumers(db)).map((c) => c.consumer);
      expect(stored).toContain(exchangeConsumerName('tenants', 't1'));

      const other = ana.exchangeEvents({ consumer: 'tenants', tenant: 't2' });
      expect(isFlightError(await failure(take(other, 1, false)), 'PERMISSION_DENIED')).toBe(true);
      const guest = eve.exchangeEvents({ consumer: 'tenants' });
      expect(isFlightError(await failure(take(guest, 1, false)), 'PERMISSION_DENIED')).toBe(true);
      const nobody = anonymous.exchangeEvents({ consumer: 'tenants' });
      expect(isFlightError(await failure(take(nobody, 1, false)), 'UNAUTHENTICATED')).toBe(true);
    } finally {
      ana.close();
      eve.close();
      anonymous.close();
    }
  });

  it('answers INVALID_ARGUMENT to bad requests and bad messages', async () => {
    await write('bad', 3);
    const flight = await client();
    try {
      const badName = flight.exchangeEvents({ consumer: 'no spaces/allowed' });
      expect(isFlightError(await failure(take(badName, 1, false)), 'INVALID_ARGUMENT')).toBe(true);

      const unknown = flight.exchangeEvents({ consumer: 'bad', entityTypes: ['bad'] });
      const iterator = unknown[Symbol.asyncIterator]();
      await iterator.next();
      const refused = await failure(unknown.ack('999999999'));
      expect(isFlightError(refused, 'INVALID_ARGUMENT')).toBe(true);
      expect((refused as Error).message).toMatch(/999999999 was not sent on this exchange/);
      expect(isFlightError(await failure(iterator.next()), 'INVALID_ARGUMENT')).toBe(true);

      // Raw calls: no descriptor, a descriptor that is not a command, malformed acknowledgements.
      const Raw = makeGenericClientConstructor(flightServiceDefinition, 'FlightService');
      const raw = new Raw(url.replace('grpc://', ''), credentials.createInsecure()) as unknown as {
        DoExchange(metadata: Metadata): {
          write(frame: Buffer): void;
          end(): void;
          on(event: string, listener: (value: unknown) => void): void;
        };
        close(): void;
      };
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${flight.token ?? ''}`);
      const outcome = (frames: Buffer[]): Promise<{ code: number; details: string }> =>
        new Promise((resolve) => {
          const call = raw.DoExchange(metadata);
          call.on('data', () => undefined);
          call.on('error', (error) => {
            resolve(error as { code: number; details: string });
          });
          call.on('status', (status) => {
            const { code } = status as { code: number };
            if (code === 0) resolve({ code, details: '' });
          });
          for (const frame of frames) call.write(frame);
          call.end();
        });
      const command = (cmd: unknown): Buffer =>
        encodeFlightData({
          descriptor: toBinary(
            FlightDescriptorSchema,
            create(FlightDescriptorSchema, {
              type: FlightDescriptor_DescriptorType.CMD,
              cmd: new TextEncoder().encode(JSON.stringify(cmd)),
            }),
          ),
        });
      const open = command({ kind: 'event-exchange', consumer: 'bad-raw' });
      const ack = (text: string): Buffer =>
        encodeFlightData({ appMetadata: new TextEncoder().encode(text) });
      try {
        expect((await outcome([ack('{"ack":"1"}')])).code).toBe(3);
        expect(
          (await outcome([encodeFlightData({ descriptor: new Uint8Array([0xff]) })])).code,
        ).toBe(3);
        expect((await outcome([command({ kind: 'event-exchange' })])).details).toMatch(/consumer/);
        expect((await outcome([command({ kind: 'nope' })])).code).toBe(12);
        expect((await outcome([open, ack('not json')])).code).toBe(3);
        expect((await outcome([open, ack('{"ack":"x1"}')])).code).toBe(3);
        expect((await outcome([open, ack('{"ack":"1","more":true}')])).code).toBe(3);
        expect(
          (await outcome([open, encodeFlightData({ dataHeader: new Uint8Array([1, 2, 3]) })])).code,
        ).toBe(3);
        // A well-formed open and a half-close end the call with OK.
        expect((await outcome([open])).code).toBe(0);
      } finally {
        raw.close();
      }
    } finally {
      flight.close();
    }
  });
});
