import { connectDatabase, type SqlClient } from '@fraiseql/core';
import {
  createFlightSqlService,
  startFlightServer,
  type FlightServer,
} from '@fraiseql/arrow-flight';
import { createTestDatabase, requireService, type TestDatabase } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const pg = await requireService('postgres');

describe.skipIf(pg === undefined)('fraiseql flight sql against a Flight SQL server', () => {
  let database: TestDatabase;
  let db: SqlClient;
  let server: FlightServer;
  const flight = (...args: string[]) =>
    runCli(['flight', ...args], { env: { FRAISEQL_FLIGHT_URL: server.url } });

  beforeAll(async () => {
    database = await createTestDatabase(pg);
    db = await connectDatabase({ url: database.url });
    await db.exec(`CREATE VIEW va_orders AS SELECT * FROM (VALUES
      (1, 'paid', 120.50::numeric(10,2)), (2, 'paid', 80.00::numeric(10,2)),
      (3, 'shipped', 310.00::numeric(10,2))) AS o(id, status, total)`);
    server = await startFlightServer({
      port: 0,
      extensions: [createFlightSqlService({ db, schemas: [{ name: 'public' }] })],
    });
  });

  afterAll(async () => {
    await server.close();
    await db.close();
    await database.close();
  });

  it('prints the rows of a query, as a table and as JSON', async () => {
    const printed = await flight(
      'sql',
      'SELECT status, count(*) AS n FROM va_orders GROUP BY 1 ORDER BY 1',
    );
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^status\s+n\npaid\s+2\nshipped\s+1\n2 row\(s\)\n$/);
    const json = await flight(
      'sql',
      'SELECT id FROM va_orders WHERE total > 100 ORDER BY id',
      '--json',
    );
    expect(JSON.parse(json.stdout)).toEqual([{ id: 1 }, { id: 3 }]);
  });

  it('exits 1 with the parser position for a refused query', async () => {
    const refused = await flight('sql', 'SELECT pg_sleep(1) FROM va_orders');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('function "pg_sleep" at position 7');
    const write = await flight('sql', 'DELETE FROM va_orders');
    expect(write.code).toBe(1);
    expect(write.stderr).toContain('only a read-only SELECT');
  });
});
