/* global console, process, URL */
// Flight SQL against a raw PostgreSQL cursor, measured in the same run:
//
//   ours      `SELECT id, label, amount, at FROM va_bench` (ROWS rows: int4, text of ~10 bytes,
//             float8, timestamptz) through @lakehouse-rs/flight-sql-client (Rust arrow-flight
//             via napi, in a child process: CreatePreparedStatement, GetFlightInfo, DoGet into
//             Arrow), from a Flight SQL server in this process.
//   baseline  `pg` + `pg-cursor` reading the same SELECT in this process (rows as arrays, 8192
//             rows per fetch), with the Flight server idle.
//
// ROUNDS alternating runs of each; the medians are reported.
//
//   pnpm build && node bench/arrow-flight-sql.mjs
//   env: ROWS=1000000 ROUNDS=3 DATABASE_URL=postgres://…/postgres
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';

const requireCore = createRequire(new URL('../packages/core/package.json', import.meta.url));
const pg = requireCore('pg');
const Cursor = requireCore('pg-cursor');
const flight = await import('../packages/arrow-flight/dist/index.js');
const core = await import('../packages/core/dist/index.js');

const env = process.env;
const ROWS = Number(env.ROWS ?? 1_000_000);
const ROUNDS = Number(env.ROUNDS ?? 3);
const ADMIN_URL = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const QUERY = 'SELECT id, label, amount, at FROM va_bench';
const CHILD = fileURLToPath(new URL('./arrow-flight-sql-client.mjs', import.meta.url));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dbName = `bench_flight_sql_${process.pid}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${dbName}`;
const db = await core.connectDatabase({ url: url.toString() });
let server;
try {
  await db.exec(`
    CREATE TABLE tb_bench AS
      SELECT g::int4 AS id, 'row ' || g AS label, g * 1.5::float8 AS amount,
             timestamptz '2024-01-01' + g * interval '1 second' AS at
      FROM generate_series(1, ${ROWS}) g;
    CREATE VIEW va_bench AS SELECT * FROM tb_bench;
    ANALYZE tb_bench;`);
  server = await flight.startFlightServer({
    port: 0,
    extensions: [flight.createFlightSqlService({ db, schemas: [{ name: 'public' }] })],
  });

  const ours = async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [CHILD, String(server.address.port), QUERY],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    const result = JSON.parse(stdout.trim());
    if (result.rows !== ROWS) throw new Error(`Flight SQL returned ${result.rows} rows`);
    return result.ms;
  };
  const baseline = async () => {
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const started = performance.now();
    await client.query('BEGIN READ ONLY');
    const cursor = client.query(new Cursor(QUERY, [], { rowMode: 'array' }));
    let rows = 0;
    for (;;) {
      const batch = await cursor.read(8192);
      if (batch.length === 0) break;
      rows += batch.length;
    }
    await cursor.close();
    await client.query('COMMIT');
    const ms = performance.now() - started;
    await client.end();
    if (rows !== ROWS) throw new Error(`pg cursor returned ${rows} rows`);
    return ms;
  };

  await ours(); // warm-up: catalog caches, JIT
  const oursMs = [];
  const baseMs = [];
  for (let round = 0; round < ROUNDS; round++) {
    baseMs.push(await baseline());
    oursMs.push(await ours());
    console.error(
      `round ${round + 1}: flight sql ${oursMs.at(-1).toFixed(0)} ms, pg cursor ${baseMs.at(-1).toFixed(0)} ms`,
    );
  }
  const o = median(oursMs);
  const b = median(baseMs);
  console.log(
    JSON.stringify(
      {
        rows: ROWS,
        rounds: ROUNDS,
        flightSql: { ms: Math.round(o), rowsPerSecond: Math.round((ROWS / o) * 1000) },
        pgCursor: { ms: Math.round(b), rowsPerSecond: Math.round((ROWS / b) * 1000) },
        ratio: Number((b / o).toFixed(2)),
      },
      null,
      2,
    ),
  );
} finally {
  await server?.close();
  await db.close();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
}
