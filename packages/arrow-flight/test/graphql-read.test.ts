import { connectDatabase, type SqlClient } from '@fraiseql/core';
import { createTestDatabase, requireService, type TestDatabase } from '@fraiseql/testing';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commandDescriptor,
  createGraphqlHandler,
  FlightClient,
  isFlightError,
  pathDescriptor,
  startFlightServer,
  type FlightServer,
} from '@fraiseql/arrow-flight';
import { SHOP_SCHEMA, SHOP_SQL } from './graphql-fixture.js';

const pg = await requireService('postgres');

describe.skipIf(pg === undefined)('GraphQL query tickets', () => {
  let database: TestDatabase;
  let db: SqlClient;
  let server: FlightServer;
  let client: FlightClient;
  const statements: string[] = [];

  const read = async (
    query: string,
    extra: Record<string, unknown> = {},
    as: FlightClient = client,
  ): Promise<Table> => {
    const info = await as.getFlightInfo(commandDescriptor({ kind: 'graphql', query, ...extra }));
    return as.doGetTable(info.endpoints[0]!.ticket);
  };
  const rows = (table: Table) => table.toArray().map((row) => ({ ...(row as object) }));
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (error: unknown) => error,
    );

  beforeAll(async () => {
    database = await createTestDatabase(pg);
    db = await connectDatabase({ url: database.url });
    await db.exec(SHOP_SQL);
    // Every statement the handler runs goes through this client: count them per read.
    const recording: SqlClient = {
      ...db,
      cursor: (text, params, options) => {
        statements.push(text);
        return db.cursor(text, params, options);
      },
      copyOut: (text, params, options) => {
        statements.push(text);
        return db.copyOut!(text, params, options);
      },
    };
    server = await startFlightServer({
      port: 0,
      handlers: [
        createGraphqlHandler({
          db: recording,
          schema: SHOP_SCHEMA,
          queries: [
            { name: 'orders', tenantColumn: 'tenant_id' },
            { name: 'customers', roles: ['admin'] },
          ],
        }),
      ],
      auth: {
        users: [
          { username: 'root', password: 'pw-root', roles: ['*'] },
          { username: 'ana', password: 'pw-ana', roles: ['analyst'], tenant: 't1' },
        ],
      },
    });
    client = new FlightClient({ url: server.url });
    await client.handshake({ username: 'root', password: 'pw-root' });
  });
  afterAll(async () => {
    client.close();
    await server.close();
    await db.close();
    await database.close();
  });

  it('types the Arrow schema from the GraphQL types, Decimal from the view column', async () => {
    const schema = await client.getSchema(
      commandDescriptor({
        kind: 'graphql',
        query: `{ orders { id status total big ratio paid createdAt placedOn cutoff shipping
          customer { name } items { sku } tags itemCount } }`,
      }),
    );
    expect(Object.fromEntries(schema.fields.map((f) => [f.name, String(f.type)]))).toEqual({
      id: 'Utf8',
      status: 'Utf8',
      total: 'Decimal[12e+2]',
      big: 'Int64',
      ratio: 'Float64',
      paid: 'Bool',
      createdAt: 'Timestamp<MICROSECOND, UTC>',
      placedOn: 'Date32<DAY>',
      cutoff: 'Time64<MICROSECOND>',
      shipping: 'Utf8',
      customer: 'Utf8',
      items: 'Utf8',
      tags: 'Utf8',
      itemCount: 'Int32',
    });
  });

  it('reads values exactly, nested objects and lists narrowed to the selection', async () => {
    const table = await read(
      `{ orders(orderBy: [{ field: id }]) { id big ratio paid createdAt placedOn cutoff shipping
        customer { name } items { qty: quantity sku } tags itemCount } }`,
    );
    expect(table.numRows).toBe(4);
    const col = (name: string) => table.getChild(name)!;
    expect(col('id').get(0)).toBe('00000000-0000-0000-0000-000000000001');
    expect((col('big').data[0]!.values as BigInt64Array)[0]).toBe(9007199254740993n);
    expect(col('big').get(2)).toBeNull();
    expect([col('ratio').get(0), col('paid').get(0), col('paid').get(1)]).toEqual([
      0.5,
      true,
      false,
    ]);
    expect((col('createdAt').data[0]!.values as BigInt64Array)[0]).toBe(
      BigInt(Date.UTC(2024, 2, 1, 10)) * 1000n + 123_456n,
    );
    expect((col('placedOn').data[0]!.values as Int32Array)[3]).toBe(
      Date.UTC(1999, 11, 31) / 86_400_000,
    );
    expect((col('cutoff').data[0]!.values as BigInt64Array)[0]).toBe(86_399_999_999n);
    expect(JSON.parse(col('shipping').get(0) as string)).toEqual({ city: 'Lyon', zip: '69001' });
    expect(col('shipping').get(1)).toBeNull();
    // Only the selected fields, under their aliases, in list order.
    expect(JSON.parse(col('customer').get(0) as string)).toEqual({ name: 'Ada' });
    expect(JSON.parse(col('items').get(0) as string)).toEqual([
      { qty: 2, sku: 'A-1' },
      { qty: 1, sku: 'B-2' },
    ]);
    expect(JSON.parse(col('items').get(2) as string)).toEqual([]);
    expect(JSON.parse(col('tags').get(0) as string)).toEqual(['paid', 'x']);
    expect([...(col('itemCount').data[0]!.values as Int32Array)]).toEqual([2, 1, 0, 0]);
  });

  it('sends objects and lists as Struct and List when the ticket asks', async () => {
    const table = await read(
      `{ orders(orderBy: [{ field: id }]) { id customer { name email } items { sku qty: quantity } tags } }`,
      { nested: 'arrow' },
    );
    expect(Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]))).toEqual({
      id: 'Utf8',
      customer: 'Struct<{name:Utf8, email:Utf8}>',
      items: 'List<Struct<{sku:Utf8, qty:Int32}>>',
      tags: 'List<Utf8>',
    });
    const row = (i: number) => JSON.parse(JSON.stringify(table.get(i)?.toJSON())) as unknown;
    expect(row(0)).toEqual({
      id: '00000000-0000-0000-0000-000000000001',
      customer: { name: 'Ada', email: 'ada@example.com' },
      items: [
        { sku: 'A-1', qty: 2 },
        { sku: 'B-2', qty: 1 },
      ],
      tags: ['paid', 'x'],
    });
    expect(row(2)).toMatchObject({ items: [], tags: ['paid', 'x'] });
    expect((table.getChild('items')!.get(2) as { length: number } | null)?.length).toBe(0);
    // The default stays JSON text.
    const json = await read(`{ orders(limit: 1) { customer { name } } }`);
    expect(String(json.schema.fields[0]?.type)).toBe('Utf8');
  });

  it('compiles each ticket to one statement that selects only the requested fields', async () => {
    statements.length = 0;
    await read(`{ orders { total customer { name } } }`);
    expect(statements).toHaveLength(1);
    const info = await client.getFlightInfo(
      commandDescriptor({ kind: 'graphql', query: '{ orders { customer { name } } }' }),
    );
    statements.length = 0;
    await client.doGetTable(info.endpoints[0]!.ticket);
    expect(statements).toHaveLength(1);
    const text = statements[0]!;
    expect(text).not.toMatch(/email|status|items/);
    expect(text).toMatch(/\$\d/);
  });

  it('filters with every operator, variables, aliases, fragments, order, limit and offset', async () => {
    const ids = async (where: string, variables?: Record<string, unknown>): Promise<number[]> => {
      const table = await read(
        `query Q${where.includes('$v') ? '($v: [String!])' : where.includes('$s') ? '($s: String)' : ''} {
          orders(where: ${where}, orderBy: [{ field: id }]) { itemCount total id } }`,
        variables === undefined ? {} : { variables },
      );
      return (table.getChild('id')!.toArray() as string[]).map((id) => Number(id.slice(-1)));
    };
    expect(await ids('{ status: { eq: "paid" } }')).toEqual([1, 3]);
    expect(await ids('{ status: { neq: "paid" } }')).toEqual([2, 4]);
    expect(await ids('{ total: { gt: 80 } }')).toEqual([1, 3]);
    expect(await ids('{ total: { gte: 80 } }')).toEqual([1, 2, 3]);
    expect(await ids('{ ratio: { lt: 0.5 } }')).toEqual([4]);
    expect(await ids('{ ratio: { lte: 0.5 } }')).toEqual([1, 4]);
    expect(await ids('{ status: { in: $v } }', { v: ['shipped', 'paid'] })).toEqual([1, 2, 3]);
    expect(await ids('{ status: { nin: $v } }', { v: ['paid'] })).toEqual([2, 4]);
    expect(await ids('{ status: { like: $s } }', { s: 'sh%' })).toEqual([2]);
    expect(await ids('{ status: { ilike: "PAI%" } }')).toEqual([1, 3]);
    expect(await ids('{ big: { isNull: true } }')).toEqual([3]);
    expect(await ids('{ createdAt: { gte: "2024-01-01T00:00:00Z" } }')).toEqual([1, 2]);
    expect(await ids('{ placedOn: { lt: "2024-03-02" } }')).toEqual([1, 4]);
    expect(await ids('{ paid: { eq: true } }')).toEqual([1, 4]);
    expect(await ids('{ big: { gt: 9007199254740992 } }')).toEqual([1]);
    expect(await ids('{ or: [{ total: { lt: 10 } }, { status: { eq: "shipped" } }] }')).toEqual([
      2, 4,
    ]);
    expect(await ids('{ and: [{ paid: { eq: true } }, { total: { gt: 10 } }] }')).toEqual([1]);
    expect(await ids('{ not: { status: { eq: "paid" } } }')).toEqual([2, 4]);
    expect(await ids('{ shipping: { isNull: false } }')).toEqual([1, 4]);

    const page = await read(
      `query Page($n: Int) { orders(orderBy: [{ field: total, direction: DESC }], limit: $n, offset: 1) {
        ...F amount: total } }
       fragment F on Order { status }`,
      { variables: { n: 2 }, operationName: 'Page' },
    );
    expect(page.schema.fields.map((f) => f.name)).toEqual(['status', 'amount']);
    expect(page.getChild('status')!.toArray()).toEqual(['paid', 'shipped']);
    const skipped = await read(
      `query S($x: Boolean!) { orders(limit: 1) { id status @skip(if: $x) } }`,
      {
        variables: { x: true },
      },
    );
    expect(skipped.schema.fields.map((f) => f.name)).toEqual(['id']);
  });

  it('refuses invalid documents, several roots, mutations and bad variables', async () => {
    const cases: Record<string, unknown>[] = [
      { query: '{ orders { nope } }' },
      { query: '{ orders { id } customers { id } }' },
      { query: '{ orders { customer } }' },
      { query: 'mutation { orders { id } }' },
      { query: '{ orders(where: { status: { eq: 1 } }) { id } }' },
      { query: 'query Q($n: Int) { orders(limit: $n) { id } }', variables: { n: 'ten' } },
      { query: '{ orders(limit: -1) { id } }' },
      { query: '{ orders { id ' },
      { query: '{ orders { id } }', operationName: 'Missing' },
      { query: '{ orders { id } }', extra: true },
    ];
    for (const attempt of cases) {
      const error = await failure(
        client.getFlightInfo(commandDescriptor({ kind: 'graphql', ...attempt })),
      );
      expect(isFlightError(error, 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('lists queries and reads one by PATH descriptor with its scalar fields', async () => {
    const info = await client.getFlightInfo(pathDescriptor('graphql', 'orders'));
    const table = await client.doGetTable(info.endpoints[0]!.ticket);
    expect(table.numRows).toBe(4);
    expect(table.schema.fields.map((f) => f.name)).toEqual([
      'id',
      'status',
      'total',
      'big',
      'ratio',
      'paid',
      'createdAt',
      'placedOn',
      'cutoff',
      'shipping',
      'itemCount',
    ]);
    const listed: string[] = [];
    for await (const flight of client.listFlights()) {
      listed.push(flight.descriptor?.path.join('/') ?? '');
    }
    expect(listed).toEqual(expect.arrayContaining(['graphql/orders', 'graphql/customers']));
  });

  it('restricts a tenant-bound caller to its rows and to queries with a tenant column', async () => {
    const ana = new FlightClient({ url: server.url });
    try {
      await ana.handshake({ username: 'ana', password: 'pw-ana' });
      const mine = await read('{ orders { id } }', {}, ana);
      expect(mine.numRows).toBe(3);
      // The caller's filter is ANDed with the tenant condition: it cannot widen it.
      const widened = await read(
        '{ orders(where: { or: [{ status: { eq: "paid" } }, { not: { status: { eq: "paid" } } }] }) { id total } }',
        {},
        ana,
      );
      expect(rows(widened).map((row) => (row as { id: string }).id)).not.toContain(
        '00000000-0000-0000-0000-000000000003',
      );
      const denied = await failure(read('{ customers { id } }', {}, ana));
      expect(isFlightError(denied, 'PERMISSION_DENIED')).toBe(true);
      // A ticket issued to another tenant cannot be redeemed.
      const foreign = await client.getFlightInfo(
        commandDescriptor({ kind: 'graphql', query: '{ orders { id } }' }),
      );
      const error = await failure(ana.doGetTable(foreign.endpoints[0]!.ticket));
      expect(isFlightError(error, 'PERMISSION_DENIED')).toBe(true);
    } finally {
      ana.close();
    }
  });
});
