import { connectDatabase, type SqlClient } from '@fraiseql/core';
import { createTestDatabase, requireService, type TestDatabase } from '@fraiseql/testing';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commandDescriptor,
  createExportHandler,
  createGraphqlHandler,
  FlightClient,
  isFlightError,
  pathDescriptor,
  startFlightServer,
  type FlightServer,
} from '@fraiseql/arrow-flight';
import { SHOP_SCHEMA, SHOP_SQL } from './graphql-fixture.js';

const pg = await requireService('postgres');

describe.skipIf(pg === undefined)(
  'bulk export, and the security of GraphQL and export tickets',
  () => {
    let database: TestDatabase;
    let db: SqlClient;
    let server: FlightServer;
    let client: FlightClient;
    let ana: FlightClient;

    const get = async (
      command: Record<string, unknown> & { kind: string },
      as: FlightClient = client,
    ): Promise<Table> => {
      const info = await as.getFlightInfo(commandDescriptor(command));
      return as.doGetTable(info.endpoints[0]!.ticket);
    };
    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => {
          throw new Error('expected a failure');
        },
        (error: unknown) => error,
      );
    const counts = async () => {
      const { rows } = await db.query<{ orders: string; secrets: string; customers: string }>(
        `SELECT (SELECT count(*) FROM tb_order)::text AS orders,
              (SELECT count(*) FROM tb_secret)::text AS secrets,
              (SELECT count(*) FROM tb_customer)::text AS customers`,
      );
      return rows[0];
    };

    beforeAll(async () => {
      database = await createTestDatabase(pg);
      db = await connectDatabase({ url: database.url });
      await db.exec(SHOP_SQL);
      await db.exec(
        `CREATE TABLE tb_big AS SELECT g AS id, 'row ' || g AS label, now() AS at FROM generate_series(1, 120000) g`,
      );
      server = await startFlightServer({
        port: 0,
        batch: { rows: 50_000, bytes: 1 << 24 },
        handlers: [
          createGraphqlHandler({
            db,
            schema: SHOP_SCHEMA,
            queries: [{ name: 'orders', tenantColumn: 'tenant_id' }, { name: 'customers' }],
          }),
          createExportHandler({
            db,
            tables: [
              {
                name: 'tb_order',
                tenantColumn: 'tenant_id',
                columns: ['pk', 'tenant_id', 'status', 'total', 'created_at', 'shipping'],
              },
              { name: 'tb_big' },
              { name: 'tb_customer', roles: ['admin'] },
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
      ana = new FlightClient({ url: server.url });
      await ana.handshake({ username: 'ana', password: 'pw-ana' });
    });
    afterAll(async () => {
      client.close();
      ana.close();
      await server.close();
      await db.close();
      await database.close();
    });

    it('exports a whole allow-listed table in batches, or some columns, with the type map', async () => {
      const info = await client.getFlightInfo(pathDescriptor('export', 'tb_big'));
      const sizes: number[] = [];
      let sum = 0n;
      for await (const batch of client.doGet(info.endpoints[0]!.ticket)) {
        sizes.push(batch.numRows);
        for (const id of batch.getChild('id')!.toArray() as Int32Array) sum += BigInt(id);
      }
      // An export goes through COPY: the rows of its first chunk are a batch of their own,
      // then batches of the configured 50,000 rows.
      const [first = 0, ...rest] = sizes;
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThanOrEqual(8192);
      expect(rest.slice(0, -1)).toEqual([50_000, 50_000]);
      expect(sizes.reduce((total, size) => total + size, 0)).toBe(120_000);
      expect(sum).toBe((120_000n * 120_001n) / 2n);
      expect(info.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual([
        'id:Int32',
        'label:Utf8',
        'at:Timestamp<MICROSECOND, UTC>',
      ]);
      const some = await get({ kind: 'export', table: 'tb_order', columns: ['total', 'pk'] });
      expect(some.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual([
        'total:Decimal[12e+2]',
        'pk:Int32',
      ]);
      expect(some.numRows).toBe(4);
      // Without columns: the grant's columns only.
      const granted = await get({ kind: 'export', table: 'tb_order' });
      expect(granted.schema.fields.map((f) => f.name)).toEqual([
        'pk',
        'tenant_id',
        'status',
        'total',
        'created_at',
        'shipping',
      ]);
    });

    it('keeps tables outside the allow-list, and columns outside a grant, unreachable', async () => {
      const attempts: Record<string, unknown>[] = [
        { table: 'tb_secret' },
        { table: 'pg_authid' },
        { table: 'tb_order', schema: 'pg_catalog' },
        { table: 'v_order' },
        { table: 'tb_order', columns: ['fk_customer'] },
        { table: 'tb_order', columns: ['big'] },
      ];
      for (const attempt of attempts) {
        const error = await failure(get({ kind: 'export', ...attempt }));
        expect(isFlightError(error, 'NOT_FOUND') || isFlightError(error, 'INVALID_ARGUMENT')).toBe(
          true,
        );
      }
      const path = await failure(client.getFlightInfo(pathDescriptor('export', 'tb_secret')));
      expect(isFlightError(path, 'NOT_FOUND')).toBe(true);
      // GraphQL reads only the schema's queries; a request cannot name a view or table.
      for (const attempt of [
        { query: '{ tb_secret { id } }' },
        { query: '{ orders { id } }', sql_source: 'tb_secret' },
        { query: '{ orders { id } }', view: 'tb_secret' },
      ]) {
        const error = await failure(get({ kind: 'graphql', ...attempt }));
        expect(isFlightError(error, 'INVALID_ARGUMENT')).toBe(true);
      }
      const roles = await failure(get({ kind: 'export', table: 'tb_customer' }, ana));
      expect(isFlightError(roles, 'PERMISSION_DENIED')).toBe(true);
      const listed: string[] = [];
      for await (const flight of ana.listFlights())
        listed.push(flight.descriptor?.path.join('/') ?? '');
      expect(listed.sort()).toEqual(['export/tb_order', 'graphql/orders']);
    });

    it('keeps foreign-tenant rows unreachable through exports and GraphQL', async () => {
      const exported = await get(
        { kind: 'export', table: 'tb_order', columns: ['pk', 'tenant_id'] },
        ana,
      );
      expect([...(exported.getChild('pk')!.toArray() as Int32Array)].sort()).toEqual([1, 2, 4]);
      expect(new Set(exported.getChild('tenant_id')!.toArray() as string[])).toEqual(
        new Set(['t1']),
      );
      const read = await get(
        {
          kind: 'graphql',
          query: `{ orders(where: { or: [{ status: { eq: "paid" } }, { status: { neq: "paid" } }] }) { id } }`,
        },
        ana,
      );
      expect(read.numRows).toBe(3);
      expect(read.getChild('id')!.toArray()).not.toContain('00000000-0000-0000-0000-000000000003');
      // Queries or tables without a tenant column are closed to a tenant-bound caller.
      for (const command of [
        { kind: 'graphql', query: '{ customers { id } }' },
        { kind: 'export', table: 'tb_big' },
      ]) {
        const error = await failure(get(command, ana));
        expect(isFlightError(error, 'PERMISSION_DENIED')).toBe(true);
      }
      // A ticket of another tenant is refused at DoGet.
      const info = await client.getFlightInfo(
        commandDescriptor({ kind: 'export', table: 'tb_order' }),
      );
      const error = await failure(ana.doGetTable(info.endpoints[0]!.ticket));
      expect(isFlightError(error, 'PERMISSION_DENIED')).toBe(true);
    });

    it('refuses or neutralises SQL injection through every structured field', async () => {
      const before = await counts();
      const drop = `'; DROP TABLE tb_secret; --`;
      const refused: (Record<string, unknown> & { kind: string })[] = [
        // Export: table, schema and column names.
        { kind: 'export', table: 'tb_order; DROP TABLE tb_secret' },
        { kind: 'export', table: 'tb_order', schema: 'public"; DROP TABLE tb_secret; --' },
        { kind: 'export', table: 'tb_order', columns: ['pk", (SELECT note FROM tb_secret) AS "x'] },
        { kind: 'export', table: 'tb_order', columns: ['pk FROM tb_secret; --'] },
        { kind: 'export', table: 'tb_order', where: '1=1' },
        // GraphQL: field names, aliases, order fields, directions, arguments, operation names.
        { kind: 'graphql', query: '{ orders { id, "x; DROP TABLE tb_secret" } }' },
        { kind: 'graphql', query: '{ orders { "id; DROP": id } }' },
        { kind: 'graphql', query: '{ orders { id note } }' },
        {
          kind: 'graphql',
          query: '{ orders(orderBy: [{ field: "id; DROP TABLE tb_secret" }]) { id } }',
        },
        {
          kind: 'graphql',
          query: '{ orders(orderBy: [{ field: id, direction: "DESC; DROP" }]) { id } }',
        },
        { kind: 'graphql', query: '{ orders(orderBy: [{ field: customer }]) { id } }' },
        { kind: 'graphql', query: '{ orders(limit: "1; DROP TABLE tb_secret") { id } }' },
        { kind: 'graphql', query: '{ orders(where: { id_or_1: { eq: "1" } }) { id } }' },
        { kind: 'graphql', query: `{ orders(where: { status: { raw: "1=1" } }) { id } }` },
        { kind: 'graphql', query: `{ orders(where: { items: { isNull: true } }) { id } }` },
        {
          kind: 'graphql',
          query: 'query Q($w: OrderWhere) { orders(where: $w) { id } }',
          variables: { w: { 'status = status OR 1=1 --': { eq: 'x' } } },
        },
        {
          kind: 'graphql',
          query: 'query Q($w: OrderWhere) { orders(where: $w) { id } }',
          variables: { w: { status: { eq: { $raw: '1 OR 1=1' } } } },
        },
        { kind: 'graphql', query: '{ orders { id } }', operationName: `Q"; DROP TABLE tb_secret` },
      ];
      for (const attempt of refused) {
        const error = await failure(client.getFlightInfo(commandDescriptor(attempt)));
        expect(
          isFlightError(error, 'INVALID_ARGUMENT') || isFlightError(error, 'NOT_FOUND'),
          JSON.stringify(attempt),
        ).toBe(true);
      }
      // Values are parameters: quotes, comments and patterns match data, never become SQL.
      const harmless = [
        `{ orders(where: { status: { eq: "${drop.replace(/"/g, '\\"')}" } }) { id } }`,
        `{ orders(where: { status: { like: "%' OR '1'='1" } }) { id } }`,
        `{ orders(where: { status: { in: ["x') OR 1=1 --", "paid' --"] } }) { id } }`,
        `{ orders(where: { createdAt: { gt: "2024-01-01'::timestamptz OR true --" } }) { id } }`,
      ];
      for (const query of harmless) {
        const outcome = await get({ kind: 'graphql', query }).catch((error: unknown) => error);
        // Either no rows, or PostgreSQL refused the value as a timestamp: never more rows.
        if (outcome instanceof Error) expect(isFlightError(outcome)).toBe(true);
        else expect((outcome as Table).numRows).toBe(0);
      }
      const quoted = await get({
        kind: 'graphql',
        query: `query Q($s: String) { orders(where: { status: { eq: $s } }) { status } }`,
        variables: { s: `it's "odd"` },
      });
      expect(quoted.getChild('status')!.toArray()).toEqual([`it's "odd"`]);
      expect(await counts()).toEqual(before);
    });
  },
);
