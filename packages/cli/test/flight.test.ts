import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFlightServer, type FlightServer } from '@fraiseql/arrow-flight';
import { Table, tableFromArrays, tableFromIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const KEY = 'cli-test-key-0123456789';

describe('fraiseql flight against a Flight server', () => {
  let server: FlightServer;
  let dir: string;
  const flight = (...args: string[]) =>
    runCli(['flight', ...args], {
      env: { FRAISEQL_FLIGHT_URL: server.url, FRAISEQL_FLIGHT_TOKEN: KEY },
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fraiseql-cli-flight-'));
    server = await startFlightServer({
      port: 0,
      batch: { rows: 100 },
      auth: { apiKeys: [{ name: 'cli', key: KEY, roles: ['*'] }] },
    });
    const ids = Int32Array.from({ length: 250 }, (_, i) => i + 1);
    const cities = Array.from(ids, (i) => (i % 2 === 0 ? 'Lyon' : 'Oslo'));
    server.registerTable(
      'trips',
      new Table({ id: vectorFromArray(ids), city: vectorFromArray(cities, new Utf8()) }),
    );
    // Strings as dictionaries, a new dictionary in every batch.
    server.registerTable('coded', tableFromArrays({ id: ids, city: cities }));
  });

  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists datasets and prints a schema, as tables and as JSON', async () => {
    const listed = await flight('list', '--json');
    expect(listed.code).toBe(0);
    const flights = JSON.parse(listed.stdout) as { path: string }[];
    expect(flights.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      {
        path: 'table/coded',
        totalRecords: 250,
        columns: [
          { name: 'id', type: 'Int32', nullable: false },
          { name: 'city', type: 'Dictionary<Int32, Utf8>', nullable: true },
        ],
      },
      {
        path: 'table/trips',
        totalRecords: 250,
        columns: [
          { name: 'id', type: 'Int32', nullable: false },
          { name: 'city', type: 'Utf8', nullable: true },
        ],
      },
    ]);
    const table = await flight('list', 'trips');
    expect(table.stdout).toMatch(/^DATASET\s+ROWS\s+COLUMNS\ntable\/trips\s+250\s+id, city\n$/);

    const schema = await flight('schema', 'table/trips', '--json');
    expect(schema.code).toBe(0);
    expect(JSON.parse(schema.stdout)).toMatchObject({
      dataset: 'table/trips',
      fields: [{ name: 'id', type: 'Int32' }, { name: 'city' }],
    });
  });

  it('writes an Arrow IPC file, and prints rows capped by --max-rows', async () => {
    const file = join(dir, 'trips.arrow');
    const written = await flight('get', 'table/trips', '-o', file);
    expect(written.code).toBe(0);
    expect(written.stdout).toBe(`250 row(s) written to ${file}\n`);
    const bytes = await readFile(file);
    expect(bytes.subarray(0, 6).toString()).toBe('ARROW1');
    const table = tableFromIPC(bytes);
    expect(table.numRows).toBe(250);
    expect(table.getChild('id')?.get(249)).toBe(250);

    // A dictionary sent again with every batch, unchanged, is kept once by the client: the
    // IPC file format holds it, and so does the stream format.
    const codedFile = join(dir, 'coded.arrow');
    expect((await flight('get', 'table/coded', '-o', codedFile)).code).toBe(0);
    expect(
      tableFromIPC(await readFile(codedFile))
        .getChild('city')
        ?.toJSON(),
    ).toEqual(Array.from({ length: 250 }, (_, i) => ((i + 1) % 2 === 0 ? 'Lyon' : 'Oslo')));
    const stream = join(dir, 'coded.arrows');
    expect((await flight('get', 'table/coded', '-o', stream)).code).toBe(0);
    expect(
      tableFromIPC(await readFile(stream))
        .getChild('city')
        ?.get(1),
    ).toBe('Lyon');

    const printed = await flight('get', 'table/trips', '--max-rows', '3');
    expect(printed.code).toBe(0);
    expect(printed.stdout.split('\n').slice(0, 4)).toEqual([
      'id  city',
      '1   Oslo',
      '2   Lyon',
      '3   Oslo',
    ]);
    expect(printed.stdout).toContain('250 row(s)\n… 247 more row(s)');
    const json = await flight('get', 'table/trips', '--max-rows', '2', '--json');
    expect(JSON.parse(json.stdout)).toEqual([
      { id: 1, city: 'Oslo' },
      { id: 2, city: 'Lyon' },
    ]);
  });

  it('exits 2 on usage mistakes and 1 on refused credentials or an unknown dataset', async () => {
    expect((await flight('get')).code).toBe(2);
    const badJson = await flight('schema', '{"kind":');
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toContain('not valid JSON');
    const tailToFile = await flight('get', 'events/tail', '-o', join(dir, 'x.arrow'));
    expect(tailToFile.code).toBe(2);
    expect(tailToFile.stderr).toContain('live tail never ends');
    expect((await flight('get', 'table/trips', '--max-rows', 'many')).code).toBe(2);

    const missing = await flight('schema', 'table/nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope');
    const refused = await runCli([
      'flight',
      'list',
      '--url',
      server.url,
      '--token',
      'wrong-key-0123456789',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--token');
    expect(refused.stderr).not.toContain('wrong-key');
  });
});
