import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDatabase, installCapture, migrate, type SqlClient } from '@fraiseql/core';
import { createTableIngest, startFlightServer, type FlightServer } from '@fraiseql/arrow-flight';
import { createTestDatabase, requireService, type TestDatabase } from '@fraiseql/testing';
import { Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const pg = await requireService('postgres');

describe.skipIf(pg === undefined)('fraiseql flight put into a tb_ table', () => {
  let database: TestDatabase;
  let db: SqlClient;
  let server: FlightServer;
  let dir: string;
  const flight = (...args: string[]) =>
    runCli(['flight', ...args], { env: { FRAISEQL_FLIGHT_URL: server.url } });
  const count = async (sql: string) =>
    Number((await db.query<{ n: string }>(sql)).rows[0]?.n ?? -1);
  const file = async (name: string, content: string | Uint8Array) => {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fraiseql-cli-put-'));
    database = await createTestDatabase(pg);
    db = await connectDatabase({ url: database.url });
    await migrate(db);
    await db.exec(`CREATE TABLE tb_trip (
      id int PRIMARY KEY, city text NOT NULL, fare numeric(10,2), paid boolean,
      at timestamptz, note text, created timestamptz NOT NULL DEFAULT now())`);
    await installCapture(db, { table: 'tb_trip', entityType: 'Trip', idColumn: 'id' });
    await db.exec('CREATE TABLE tb_secret (id int PRIMARY KEY)');
    server = await startFlightServer({
      port: 0,
      extensions: [createTableIngest({ db, tables: [{ name: 'tb_trip' }] })],
    });
  });

  afterAll(async () => {
    await server.close();
    await db.close();
    await database.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads a CSV typed from the table: NULL vs empty text, quotes, unicode, one event per row', async () => {
    const lines = ['id,city,fare,paid,at,note'];
    for (let id = 1; id <= 250; id++) {
      lines.push(
        `${String(id)},"Saint-Étienne, ☕",${String(id)}.25,${id % 2 === 0 ? 't' : 'no'},2024-03-01 10:00:00.123456+02,${id === 1 ? '""' : id === 2 ? '' : '"she said ""hi"""'}`,
      );
    }
    const path = await file('trips.csv', `${lines.join('\r\n')}\r\n`);
    const put = await flight('put', 'tb_trip', path, '--batch-rows', '100');
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    expect(put.stdout).toBe('250 row(s) written to public.tb_trip\n');
    const { rows } = await db.query<Record<string, string | null>>(
      `SELECT city, fare::text, paid::text, note,
              to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS at
       FROM tb_trip WHERE id IN (1, 2, 3) ORDER BY id`,
    );
    expect(rows).toEqual([
      {
        city: 'Saint-Étienne, ☕',
        fare: '1.25',
        paid: 'false',
        note: '',
        at: '2024-03-01 08:00:00.123456',
      },
      {
        city: 'Saint-Étienne, ☕',
        fare: '2.25',
        paid: 'true',
        note: null,
        at: '2024-03-01 08:00:00.123456',
      },
      {
        city: 'Saint-Étienne, ☕',
        fare: '3.25',
        paid: 'false',
        note: 'she said "hi"',
        at: '2024-03-01 08:00:00.123456',
      },
    ]);
    expect(
      await count("SELECT count(*) AS n FROM core.tb_entity_change_log WHERE object_type = 'Trip'"),
    ).toBe(250);
  });

  it('names the line and column of a bad CSV value, and writes nothing of the batches before it', async () => {
    const lines = ['id,city,fare'];
    for (let id = 1000; id < 1300; id++)
      lines.push(`${String(id)},Oslo,${id === 1250 ? '12,5' : '1'}`);
    // `12,5` splits into an extra field: reported with its line.
    const extra = await flight(
      'put',
      'tb_trip',
      await file('extra.csv', lines.join('\n')),
      '--batch-rows',
      '100',
    );
    expect(extra.code).toBe(1);
    expect(extra.stderr).toContain('extra.csv: Invalid Record Length: expect 3, got 4 on line 252');
    lines[251] = '1250,Oslo,12.5x';
    const bad = await flight(
      'put',
      'tb_trip',
      await file('bad.csv', lines.join('\n')),
      '--batch-rows',
      '100',
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('line 252, column "fare": "12.5x" is not a number');
    expect(await count('SELECT count(*) AS n FROM tb_trip WHERE id >= 1000')).toBe(0);
  });

  it('maps a constraint the server refuses to the lines of the batch', async () => {
    const lines = ['id,city'];
    for (let id = 2000; id < 2150; id++) lines.push(`${String(id)},Lyon`);
    lines.push('2001,Lyon');
    const put = await flight(
      'put',
      'tb_trip',
      await file('dup.csv', lines.join('\n')),
      '--batch-rows',
      '100',
    );
    expect(put.code).toBe(1);
    expect(put.stderr).toMatch(
      /rows 100–150: duplicate key value.*Key \(id\)=\(2001\) already exists.*nothing was written \(.*dup\.csv: the batch starting at line 102\)/,
    );
    const header = await flight('put', 'tb_trip', await file('header.csv', 'id,town\n1,Oslo\n'));
    expect(header.code).toBe(1);
    expect(header.stderr).toContain('header: column 2 "town" is not a column of the table');
    expect(await count('SELECT count(*) AS n FROM tb_trip WHERE id >= 2000')).toBe(0);
  });

  it('uploads Arrow IPC files and streams, and refuses tables outside the allow-list', async () => {
    const table = (from: number) =>
      new Table({
        id: vectorFromArray(Int32Array.from({ length: 40 }, (_, i) => from + i)),
        city: vectorFromArray(
          Array.from({ length: 40 }, () => 'Bergen'),
          new Utf8(),
        ),
      });
    const arrow = await file('trips.arrow', tableToIPC(table(3000), 'file'));
    const stream = await file('trips.arrows', tableToIPC(table(4000), 'stream'));
    const fromFile = await flight('put', 'public.tb_trip', arrow, '--json');
    expect(fromFile.code).toBe(0);
    expect(JSON.parse(fromFile.stdout)).toEqual({ table: 'public.tb_trip', file: arrow, rows: 40 });
    expect((await flight('put', 'tb_trip', stream)).stdout).toBe(
      '40 row(s) written to public.tb_trip\n',
    );
    expect(await count("SELECT count(*) AS n FROM tb_trip WHERE city = 'Bergen'")).toBe(80);
    const refused = await flight('put', 'tb_secret', arrow);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('public.tb_secret is not an upload target');
    const notArrow = await flight('put', 'tb_trip', await file('x.arrow', 'id,city\n1,a\n'));
    expect(notArrow.code).toBe(1);
    expect(notArrow.stderr).toContain('not an Arrow IPC file or stream');
    const usage = await flight('put', 'orders', arrow);
    expect(usage.code).toBe(2);
  });
});
