/* global console, process, URL, performance, Buffer, AbortController */
// Arrow Flight against baselines measured in the same run:
//
//   doget    DoGet over loopback of an in-memory Arrow table (ROWS rows: int64, float64, utf8 of
//            20 bytes, timestamp µs UTC), read to the last batch by FlightClient, vs
//            `tableToIPC` of the same table (serialising it once in process). MB are the IPC
//            stream's bytes. WARMUP uncounted rounds, then ROUNDS rounds, baseline and DoGet
//            alternating; medians, and the median of the per-round ratios.
//   graphql  a GraphQL ticket over a FraiseQL `tv_`-style view (PG_ROWS rows, 6 fields out of a
//            `data` jsonb document) read to the last batch, vs a raw `pg` + `pg-cursor` read of
//            the same compiled SELECT (rows as arrays, same cursor batch size). WARMUP uncounted
//            rounds, then ROUNDS rounds, alternating; medians and the median per-round ratio.
//   ttfb     time to first batch of a 100-row GraphQL query (LIMIT 100 over a 100,000-row
//            view): DoGet of a fresh ticket until the first record batch arrives, and
//            GetFlightInfo + DoGet; baseline: the same SELECT through a raw `pg` client (one
//            round trip on an open connection), alternating; TTFB_N runs, p50/p99.
//
//   pnpm build && node bench/arrow-flight.mjs [all|doget|graphql|ttfb]
//   env: ROWS=10000000 PG_ROWS=1000000 ROUNDS=5 WARMUP=1 TTFB_N=300 DATABASE_URL=postgres://…/postgres
//        SERVER_BATCH_ROWS=n / SERVER_BATCH_BYTES=n: the server's batch limits (each unset: its
//        default)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const requireCore = createRequire(new URL('../packages/core/package.json', import.meta.url));
// The ESM build, the one the package's dist imports (the CommonJS build's classes differ).
const arrow = await import('../packages/arrow-flight/node_modules/apache-arrow/Arrow.node.mjs');
const pg = requireCore('pg');
const Cursor = requireCore('pg-cursor');
const flight = await import('../packages/arrow-flight/dist/index.js');
const core = await import('../packages/core/dist/index.js');

const mode = process.argv[2] ?? 'all';
const env = process.env;
const ROWS = Number(env.ROWS ?? 10_000_000);
const PG_ROWS = Number(env.PG_ROWS ?? 1_000_000);
const ROUNDS = Number(env.ROUNDS ?? 5);
// Rounds run first and not counted (both sides): JIT, first connection, first allocation.
const WARMUP = Number(env.WARMUP ?? 1);
const TTFB_N = Number(env.TTFB_N ?? 300);
const TTFB_TABLE_ROWS = 100_000;
const ADMIN_URL = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const fmt = (n, digits = 1) => n.toFixed(digits);
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const list = (xs, digits = 2) => xs.map((x) => fmt(x, digits)).join(' ');

/** int64, float64, utf8 (20 bytes each), timestamp(µs, UTC), built straight into buffers. */
function sampleTable(rows) {
  const { makeData, makeVector, Table, Int64, Float64, Utf8, TimestampMicrosecond } = arrow;
  const ids = new BigInt64Array(rows);
  const values = new Float64Array(rows);
  const micros = new BigInt64Array(rows);
  const offsets = new Int32Array(rows + 1);
  const text = Buffer.allocUnsafe(rows * 20);
  const base = BigInt(Date.UTC(2024, 0, 1)) * 1000n;
  for (let i = 0; i < rows; i++) {
    ids[i] = BigInt(i);
    values[i] = i * 1.5;
    micros[i] = base + BigInt(i) * 1_000_000n;
    offsets[i + 1] = (i + 1) * 20;
    text.write(`name-${String(i).padStart(15, '0')}`, i * 20, 'latin1');
  }
  const utf8 = makeData({
    type: new Utf8(),
    length: rows,
    valueOffsets: offsets,
    data: new Uint8Array(text.buffer, text.byteOffset, text.byteLength),
  });
  return new Table({
    id: makeVector(makeData({ type: new Int64(), length: rows, data: ids })),
    value: makeVector(makeData({ type: new Float64(), length: rows, data: values })),
    name: makeVector(utf8),
    at: makeVector(makeData({ type: new TimestampMicrosecond('UTC'), length: rows, data: micros })),
  });
}

/**
 * Runs the Flight server in a child process (`serve-table` / `serve-graphql`), as a client and a
 * server are in practice; resolves with its URL and a stop function.
 */
async function spawnServer(...args) {
  const nodeArgs = env.SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, fileURLToPath(import.meta.url), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: process.env,
  });
  const [line] = await new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk.toString();
      const match = /READY (\S+)/.exec(buffered);
      if (match) resolve([match[1]]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    url: line,
    stop: async () => {
      child.stdin.end();
      await once(child, 'exit');
    },
  };
}

async function serve(server, close) {
  process.stdout.write(`READY ${server.url}\n`);
  process.stdin.resume();
  await once(process.stdin, 'end');
  await server.close();
  await close?.();
  process.exit(0);
}

async function doget() {
  const table = sampleTable(ROWS);
  const server = await spawnServer('serve-table', String(ROWS));
  const client = new flight.FlightClient({ url: server.url });
  let ipcBytes = 0;
  const ipcMs = [];
  const getMs = [];
  try {
    for (let round = -WARMUP; round < ROUNDS; round++) {
      let started = performance.now();
      ipcBytes = arrow.tableToIPC(table, 'stream').byteLength;
      if (round >= 0) ipcMs.push(performance.now() - started);
      const info = await client.getFlightInfo(flight.pathDescriptor('table', 'bench'));
      started = performance.now();
      let rows = 0;
      for await (const batch of client.doGet(info.endpoints[0].ticket)) rows += batch.numRows;
      if (round >= 0) getMs.push(performance.now() - started);
      if (rows !== ROWS) throw new Error(`read ${rows} rows, expected ${ROWS}`);
    }
  } finally {
    client.close();
    await server.stop();
  }
  const mb = ipcBytes / 1e6;
  const ratios = getMs.map((ms, i) => ipcMs[i] / ms);
  const get = median(getMs);
  const ipc = median(ipcMs);
  console.log(`doget: ${ROWS} rows, ${fmt(mb)} MB of IPC, ${ROUNDS} rounds, medians`);
  console.log(
    `  DoGet over loopback   ${fmt(get, 0)} ms  ${fmt(mb / (get / 1000), 0)} MB/s  ${fmt(ROWS / (get / 1000) / 1e6, 2)} M rows/s`,
  );
  console.log(
    `  tableToIPC            ${fmt(ipc, 0)} ms  ${fmt(mb / (ipc / 1000), 0)} MB/s  ${fmt(ROWS / (ipc / 1000) / 1e6, 2)} M rows/s`,
  );
  console.log(
    `  ratio DoGet / tableToIPC: median ${fmt(median(ratios), 2)}× (rounds: ${list(ratios)}) (bar ≥ 0.5× and ≥ 300 MB/s)`,
  );
}

const SCHEMA = {
  types: [
    {
      name: 'Reading',
      fields: [
        { name: 'id', type: 'Int' },
        { name: 'label', type: 'String' },
        { name: 'amount', type: 'Float' },
        { name: 'total', type: 'BigInt' },
        { name: 'active', type: 'Boolean' },
        { name: 'createdAt', type: 'DateTime' },
      ],
    },
  ],
  queries: [
    { name: 'readings', return_type: 'Reading', returns_list: true, sql_source: 'tv_reading' },
  ],
};
const QUERY = '{ readings { id label amount total active createdAt } }';

async function withDatabase(run, rows = PG_ROWS) {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const name = `bench_flight_${process.pid}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await core.connectDatabase({ url: url.toString() });
  try {
    await db.exec(`
      CREATE TABLE tv_reading (id int PRIMARY KEY, data jsonb NOT NULL);
      INSERT INTO tv_reading
      SELECT g, jsonb_build_object('id', g, 'label', 'reading-' || lpad(g::text, 12, '0'),
        'amount', g * 0.25, 'total', g::int8 * 1000003, 'active', g % 3 = 0,
        'createdAt', timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second')
      FROM generate_series(1, ${rows}) g;`);
    await db.query('VACUUM ANALYZE tv_reading');
    return await run(db, url.toString());
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** The statement a GraphQL ticket runs, for the baselines. */
async function compiledStatement(db, query) {
  const recorded = [];
  const recording = {
    ...db,
    cursor: (text, params, options) => (
      recorded.push({ text, params }),
      db.cursor(text, params, options)
    ),
    copyOut: (text, params, options) => (
      recorded.push({ text, params }),
      db.copyOut(text, params, options)
    ),
  };
  const probe = flight.createGraphqlHandler({ db: recording, schema: SCHEMA });
  const signal = new AbortController().signal;
  const stream = await probe.open(probe.parse({ query }), {
    principal: flight.ANONYMOUS,
    signal,
    batch: { rows: 65_536, bytes: 4 << 20 },
  });
  for await (const _ of stream.batches(signal)) break;
  return recorded[0];
}

async function graphql() {
  await withDatabase(async (db, url) => {
    const server = await spawnServer('serve-graphql', url);
    const client = new flight.FlightClient({ url: server.url });
    const { text, params } = await compiledStatement(db, QUERY);
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    const flightMs = [];
    const rawMs = [];
    try {
      for (let round = -WARMUP; round < ROUNDS; round++) {
        let started = performance.now();
        let rows = 0;
        const cursor = raw.query(new Cursor(text, params, { rowMode: 'array' }));
        for (;;) {
          const chunk = await cursor.read(8192);
          if (chunk.length === 0) break;
          rows += chunk.length;
        }
        await cursor.close();
        if (round >= 0) rawMs.push(performance.now() - started);
        if (rows !== PG_ROWS) throw new Error(`raw read ${rows} rows`);

        const info = await client.getFlightInfo(
          flight.commandDescriptor({ kind: 'graphql', query: QUERY }),
        );
        started = performance.now();
        rows = 0;
        for await (const batch of client.doGet(info.endpoints[0].ticket)) rows += batch.numRows;
        if (round >= 0) flightMs.push(performance.now() - started);
        if (rows !== PG_ROWS) throw new Error(`flight read ${rows} rows`);
      }
    } finally {
      await raw.end();
      client.close();
      await server.stop();
    }
    const rate = (ms) => PG_ROWS / (ms / 1000);
    const ratios = flightMs.map((ms, i) => rawMs[i] / ms);
    const ours = median(flightMs);
    const baseline = median(rawMs);
    console.log(`graphql: ${PG_ROWS} rows × 6 fields from PostgreSQL, ${ROUNDS} rounds, medians`);
    console.log(
      `  GraphQL → Arrow over Flight   ${fmt(ours, 0)} ms  ${fmt(rate(ours) / 1e3, 0)} k rows/s`,
    );
    console.log(
      `  raw pg-cursor, same SELECT    ${fmt(baseline, 0)} ms  ${fmt(rate(baseline) / 1e3, 0)} k rows/s`,
    );
    console.log(
      `  ratio: median ${fmt(median(ratios), 2)}× (rounds: ${list(ratios)}) (bar ≥ 0.7×)`,
    );
  });
}

async function ttfb() {
  await withDatabase(async (db, url) => {
    const server = await spawnServer('serve-graphql', url);
    const client = new flight.FlightClient({ url: server.url });
    const query = `{ readings(where: { id: { gt: 5000 } }, limit: 100) { id label amount total active createdAt } }`;
    const { text, params } = await compiledStatement(db, query);
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    const doGetOnly = [];
    const withInfo = [];
    const rawMs = [];
    try {
      for (let i = 0; i < TTFB_N + 20; i++) {
        const rawStarted = performance.now();
        const { rows } = await raw.query({ text, values: params, rowMode: 'array' });
        const rawDone = performance.now();
        if (rows.length !== 100) throw new Error('expected 100 rows');
        const started = performance.now();
        const info = await client.getFlightInfo(
          flight.commandDescriptor({ kind: 'graphql', query }),
        );
        const issued = performance.now();
        const stream = client.doGet(info.endpoints[0].ticket);
        const first = await stream.next();
        const done = performance.now();
        if (first.value?.numRows !== 100) throw new Error('expected 100 rows');
        await stream.return(undefined);
        if (i < 20) continue; // warm-up
        rawMs.push(rawDone - rawStarted);
        doGetOnly.push(done - issued);
        withInfo.push(done - started);
      }
    } finally {
      await raw.end();
      client.close();
      await server.stop();
    }
    const line = (label, xs) =>
      `  ${label.padEnd(30)}p50 ${fmt(pct(xs, 50), 2)} ms  p99 ${fmt(pct(xs, 99), 2)} ms`;
    console.log(`ttfb: 100-row GraphQL query, ${TTFB_N} runs after 20 warm-up runs`);
    console.log(`${line('DoGet → first batch', doGetOnly)}  (bars 10 / 50 ms)`);
    console.log(line('GetFlightInfo + DoGet', withInfo));
    console.log(line('raw pg query, same SELECT', rawMs));
    console.log(
      `  ratio DoGet / raw query: p50 ${fmt(pct(doGetOnly, 50) / pct(rawMs, 50), 1)}×  p99 ${fmt(pct(doGetOnly, 99) / pct(rawMs, 99), 1)}×`,
    );
  }, TTFB_TABLE_ROWS);
}

console.log(
  `load average ${(await import('node:os'))
    .loadavg()
    .map((n) => n.toFixed(1))
    .join(' ')}`,
);
/** The server's batch limits from SERVER_BATCH_ROWS / SERVER_BATCH_BYTES (defaults otherwise). */
function serverBatch() {
  if (env.SERVER_BATCH_ROWS === undefined && env.SERVER_BATCH_BYTES === undefined) return {};
  return {
    batch: {
      ...(env.SERVER_BATCH_ROWS === undefined ? {} : { rows: Number(env.SERVER_BATCH_ROWS) }),
      ...(env.SERVER_BATCH_BYTES === undefined ? {} : { bytes: Number(env.SERVER_BATCH_BYTES) }),
    },
  };
}

if (mode === 'serve-table') {
  const server = await flight.startFlightServer({
    port: 0,
    ...serverBatch(),
  });
  server.registerTable('bench', sampleTable(Number(process.argv[3])));
  await serve(server);
}
if (mode === 'serve-graphql') {
  const db = await core.connectDatabase({ url: process.argv[3] });
  const server = await flight.startFlightServer({
    port: 0,
    handlers: [flight.createGraphqlHandler({ db, schema: SCHEMA })],
    ...serverBatch(),
  });
  await serve(server, () => db.close());
}
if (mode === 'all' || mode === 'doget') await doget();
if (mode === 'all' || mode === 'graphql') await graphql();
if (mode === 'all' || mode === 'ttfb') await ttfb();
