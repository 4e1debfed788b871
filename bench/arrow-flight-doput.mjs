/* global console, process, URL, performance, Buffer */
// Flight DoPut into a captured `tb_` table against `COPY … FROM STDIN` of the same rows into the
// same table with the same capture trigger, same run, same database. 4 columns: int4 primary
// key, text, float8, timestamptz. Each round empties the table and the change log, then:
//   - baseline: `pg` + `pg-copy-streams`, the rows as CSV written in chunks of BATCH rows;
//   - DoPut: `FlightClient.doPut` of the rows as Arrow record batches of BATCH rows to a Flight
//     server in the same process (`createTableIngest`), one transaction for the whole upload.
// Both build their rows from the same numbers inside the timed part. Rounds alternate which
// goes first; medians and per-round ratios are printed.
//
// Then the proof (PROOF=0 skips it): one DoPut of ROWS rows, drained by an observers change-log
// source registered before the upload; every event is counted by entity id, and the run fails
// unless exactly ROWS events arrive, one per row.
//
//   pnpm build && node bench/arrow-flight-doput.mjs
//   env: ROWS=1000000 ROUNDS=3 BATCH=16384 PROOF=1 DATABASE_URL=postgres://…
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createBenchDatabase } from './bench-database.mjs';

const rootRequire = createRequire(new URL('../package.json', import.meta.url));
const { from: copyFrom } = rootRequire('pg-copy-streams');
const arrow = await import('../packages/arrow-flight/node_modules/apache-arrow/Arrow.node.mjs');
const core = await import('../packages/core/dist/index.js');
const observers = await import('../packages/observers/dist/index.js');
const flight = await import('../packages/arrow-flight/dist/index.js');

const env = process.env;
const ROWS = Number(env.ROWS ?? 1_000_000);
const ROUNDS = Number(env.ROUNDS ?? 3);
const BATCH = Number(env.BATCH ?? 16_384);
const PROOF = env.PROOF !== '0';

const database = await createBenchDatabase('fraiseql_bench_flight_doput');
const { pool } = database;
const db = core.pgClient(pool, { ownsPool: true });
await core.migrate(db, { sets: [core.coreMigrations, observers.observerMigrations] });
await db.exec(`CREATE TABLE public.tb_bench_put (
  id int PRIMARY KEY, label text NOT NULL, amount float8, at timestamptz)`);
await core.installCapture(db, { table: 'public.tb_bench_put', entityType: 'BenchItem' });

const server = await flight.startFlightServer({
  port: 0,
  extensions: [flight.createTableIngest({ db, tables: [{ name: 'tb_bench_put' }] })],
});
const client = new flight.FlightClient({ url: server.url });
const descriptor = flight.commandDescriptor({ kind: 'ingest', table: 'tb_bench_put' });

const EPOCH_US = Date.UTC(2026, 0, 1) * 1000;
const label = (id) => `item ${id} ☕`;
const amount = (id) => (id % 97) * 1.25;
const atMicros = (id) => EPOCH_US + id * 1_000_003;

function* arrowBatches(rows) {
  const type = new arrow.TimestampMicrosecond('UTC');
  for (let start = 0; start < rows; start += BATCH) {
    const count = Math.min(BATCH, rows - start);
    const ids = new Int32Array(count);
    const labels = new Array(count);
    const amounts = new Float64Array(count);
    const at = new BigInt64Array(count);
    for (let i = 0; i < count; i++) {
      const id = start + i + 1;
      ids[i] = id;
      labels[i] = label(id);
      amounts[i] = amount(id);
      at[i] = BigInt(atMicros(id));
    }
    const table = new arrow.Table({
      id: arrow.makeVector(ids),
      label: arrow.vectorFromArray(labels, new arrow.Utf8()),
      amount: arrow.makeVector(amounts),
      at: arrow.makeVector(arrow.makeData({ type, data: at, length: count })),
    });
    yield* table.batches;
  }
}

function csvChunk(start, count) {
  let text = '';
  for (let i = 0; i < count; i++) {
    const id = start + i + 1;
    const us = atMicros(id);
    // Microseconds: toISOString stops at milliseconds.
    const at = new Date(Math.floor(us / 1000))
      .toISOString()
      .replace('Z', `${String(us % 1000).padStart(3, '0')}Z`);
    text += `${id},${label(id)},${amount(id)},${at}\n`;
  }
  return Buffer.from(text);
}

async function copyRows(rows) {
  const connection = await pool.connect();
  try {
    const stream = connection.query(
      copyFrom('COPY public.tb_bench_put (id, label, amount, at) FROM STDIN WITH (FORMAT csv)'),
    );
    const finished = once(stream, 'finish');
    for (let start = 0; start < rows; start += BATCH) {
      if (!stream.write(csvChunk(start, Math.min(BATCH, rows - start)))) {
        await once(stream, 'drain');
      }
    }
    stream.end();
    await finished;
  } finally {
    connection.release();
  }
}

async function reset() {
  await db.exec('TRUNCATE public.tb_bench_put, core.tb_entity_change_log');
  await db.exec('VACUUM ANALYZE public.tb_bench_put');
}

async function count(sql) {
  const { rows } = await db.query(sql);
  return Number(rows[0].n);
}

async function timed(what, run) {
  await reset();
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const [table, events] = [
    await count('SELECT count(*) AS n FROM public.tb_bench_put'),
    await count('SELECT count(*) AS n FROM core.tb_entity_change_log'),
  ];
  if (table !== ROWS || events !== ROWS) {
    throw new Error(`${what}: expected ${ROWS} rows and events, found ${table} and ${events}`);
  }
  // Both paths must have written the same values.
  const { rows } = await db.query(
    `SELECT md5(string_agg(concat_ws(',', id, label, amount, at), '|' ORDER BY id)) AS digest
     FROM public.tb_bench_put`,
  );
  digests.add(rows[0].digest);
  if (digests.size > 1) throw new Error(`${what}: the table differs from the other path's`);
  return ROWS / seconds;
}
const digests = new Set();

const viaCopy = () => timed('COPY', () => copyRows(ROWS));
const viaDoPut = () =>
  timed('DoPut', async () => {
    const [answer] = await client.doPut(descriptor, arrowBatches(ROWS));
    if (flight.putUpdateCount(answer) !== BigInt(ROWS)) throw new Error('DoPut: wrong count');
  });

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function proof() {
  await reset();
  const consumer = 'bench-doput-proof';
  const source = observers.createChangeLogSource(db, {
    consumer,
    startFrom: 'now',
    batchSize: 1000,
  });
  const seen = new Uint8Array(ROWS + 1);
  let deliveries = 0;
  let duplicates = 0;
  let foreign = 0;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  await source.start({
    maxInFlight: 4000,
    onDelivery: (delivery) => {
      const id = Number(delivery.event.entityId);
      if (!(id >= 1 && id <= ROWS) || delivery.event.entityType !== 'BenchItem') foreign++;
      else if (seen[id]++ > 0) duplicates++;
      deliveries++;
      void delivery.settle({ status: 'done' }).then(() => {
        if (deliveries >= ROWS) finish();
      });
    },
  });
  const started = performance.now();
  const [answer] = await client.doPut(descriptor, arrowBatches(ROWS));
  const uploaded = performance.now();
  await finished;
  const drained = performance.now();
  await source.close();
  let missing = 0;
  for (let id = 1; id <= ROWS; id++) if (seen[id] === 0) missing++;
  const result = {
    uploadedRows: Number(flight.putUpdateCount(answer)),
    deliveries,
    distinct: ROWS - missing,
    duplicates,
    missing,
    foreign,
    uploadSeconds: Number(((uploaded - started) / 1000).toFixed(1)),
    drainSeconds: Number(((drained - uploaded) / 1000).toFixed(1)),
  };
  console.log(`proof: ${JSON.stringify(result)}`);
  if (
    result.uploadedRows !== ROWS ||
    deliveries !== ROWS ||
    missing !== 0 ||
    duplicates !== 0 ||
    foreign !== 0
  ) {
    throw new Error('proof failed: the upload did not become exactly one event per row');
  }
}

const results = { copy: [], doPut: [], ratio: [] };
let failed = false;
try {
  for (let round = 0; round < ROUNDS; round++) {
    let copy;
    let put;
    if (round % 2 === 0) {
      copy = await viaCopy();
      put = await viaDoPut();
    } else {
      put = await viaDoPut();
      copy = await viaCopy();
    }
    results.copy.push(copy);
    results.doPut.push(put);
    results.ratio.push(put / copy);
    console.log(
      `round ${round + 1}: COPY ${copy.toFixed(0)} rows/s, DoPut ${put.toFixed(0)} rows/s, ratio ${(put / copy).toFixed(2)}×`,
    );
  }
  if (ROUNDS > 0) {
    console.log(
      JSON.stringify({
        rows: ROWS,
        rounds: ROUNDS,
        batch: BATCH,
        copyMedian: Math.round(median(results.copy)),
        doPutMedian: Math.round(median(results.doPut)),
        ratioMedian: Number(median(results.ratio).toFixed(2)),
        ratios: results.ratio.map((r) => Number(r.toFixed(2))),
      }),
    );
  }
  if (PROOF) await proof();
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  client.close();
  await server.close();
  await db.close();
  await database.drop();
}
if (failed) process.exitCode = 1;
