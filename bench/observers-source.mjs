/* global console, process, URL, setTimeout, setInterval, clearInterval, performance */
// The change-log source and observer runtime on their own (no-op handler), against baselines
// measured in the same run on the same database:
//
//   throughput  drain a backlog of N events through the source alone (deliveries settled at
//               once) and through source + runtime (no-op handler), vs a bare keyset loop
//               `SELECT … WHERE pk > $1 ORDER BY pk LIMIT 1000` over the same rows; ROUNDS
//               alternations, medians reported
//   latency     commit → handler start at RATE events/s (one INSERT per transaction), vs the
//               commit → NOTIFY arrival latency of a plain LISTEN connection
//   capture     INSERT throughput on a table with core's capture triggers vs the same table
//               without them (single-row autocommit INSERTs and 1000-row INSERT statements)
//   memory      RSS of this process while the source and runtime drain a continuous write
//               load of EVENTS events (sampled every SAMPLE_MS; CHART=file.svg draws the samples)
//
//   pnpm exec tsc -b && node bench/observers-source.mjs [all|throughput|latency|capture|memory]
//   env: N=50000 ROUNDS=3 RATE=500 SECONDS=10 EVENTS=1000000 MAX_SECONDS=300 SAMPLE_MS=1000
//        CHART=docs/x.svg DATABASE_URL=postgres://…
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../packages/observers/package.json', import.meta.url));
const pg = require('pg');
const core = await import('../packages/core/dist/index.js');
const { createChangeLogSource } =
  await import('../packages/observers/dist/sources/change-log/change-log-source.js');
const { createObserverRuntime } =
  await import('../packages/observers/dist/runtime/observer-runtime.js');
const { observerMigrations } =
  await import('../packages/observers/dist/migrations/observer-migrations.js');

const mode = process.argv[2] ?? 'all';
const env = process.env;
const N = Number(env.N ?? 50_000);
const ROUNDS = Number(env.ROUNDS ?? 3);
const RATE = Number(env.RATE ?? 500);
const SECONDS = Number(env.SECONDS ?? 10);
const EVENTS = Number(env.EVENTS ?? 1_000_000);
const MAX_SECONDS = Number(env.MAX_SECONDS ?? 300);
const SAMPLE_MS = Number(env.SAMPLE_MS ?? 1000);
const serverUrl = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const now = () => performance.now();

async function withDatabase(label, fn) {
  const name = `fraiseql_bench_source_${label}_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 10 });
  pool.on('error', () => undefined);
  const db = core.pgClient(pool, { ownsPool: true });
  await core.migrate(db, { sets: [core.coreMigrations, observerMigrations] });
  try {
    return await fn(db, url.toString());
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

const INSERT_ROWS = `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
  SELECT 'Order', g::text, 'INSERT', jsonb_build_object('n', g, 'status', 'new', 'amount', g % 1000)
  FROM generate_series($1::int, $2::int) g`;

async function writeBacklog(db, count) {
  for (let from = 1; from <= count; from += 10_000) {
    await db.query(INSERT_ROWS, [from, Math.min(count, from + 9_999)]);
  }
}

/** Starts source + runtime with a handler; resolves to { runtime, source }. */
async function startRuntime(db, handler, sourceOptions = {}, runtimeOptions = {}) {
  const source = createChangeLogSource(db, {
    consumer: 'bench',
    batchSize: 1000,
    ...sourceOptions,
  });
  const runtime = createObserverRuntime({
    sources: source,
    concurrency: 64,
    prefetch: 2000,
    handler,
    ...runtimeOptions,
  });
  await runtime.start();
  return { runtime, source };
}

async function until(predicate, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('bench: timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function throughput() {
  return withDatabase('tp', async (db) => {
    await writeBacklog(db, N);
    await db.exec('VACUUM ANALYZE core.tb_entity_change_log');
    const runs = [];
    // Alternate baseline and source, ROUNDS times, each source run a fresh consumer that reads
    // the whole backlog; the medians are reported.
    for (let round = 0; round < ROUNDS; round += 1) {
      // Baseline: a bare keyset loop reading the same rows with the same column list.
      // Qualified with the table alias: the column list reads the key as text under the same
      // name, and an unqualified ORDER BY would sort by that text (a sequential scan and a sort
      // per page, and a text order that skips rows).
      let t = now();
      let last = 0;
      let read = 0;
      for (;;) {
        const page = await db.query(
          `SELECT ${core.changeLogColumns('l')} FROM core.tb_entity_change_log l
           WHERE l.pk_entity_change_log > $1 ORDER BY l.pk_entity_change_log LIMIT 1000`,
          [last],
        );
        if (page.rows.length === 0) break;
        read += page.rows.length;
        last = Number(page.rows.at(-1).pk_entity_change_log);
      }
      const baselineMs = now() - t;
      if (read !== N) throw new Error(`bench: the keyset baseline read ${read} of ${N} rows`);

      // The source alone: every delivery settled done at once, no runtime.
      let settled = 0;
      t = now();
      const alone = createChangeLogSource(db, { consumer: `alone-${round}`, batchSize: 1000 });
      await alone.start({
        maxInFlight: 2064,
        onDelivery: (delivery) => {
          void delivery.settle({ status: 'done' }).then(() => {
            settled += 1;
          });
        },
      });
      await until(() => settled >= N);
      const aloneMs = now() - t;
      await alone.close();

      // Source + runtime with a no-op handler.
      let handled = 0;
      t = now();
      const { runtime, source } = await startRuntime(
        db,
        async () => {
          handled += 1;
        },
        { consumer: `runtime-${round}` },
      );
      await until(() => handled >= N);
      await until(async () => (await source.backlog()).events === 0);
      const runtimeMs = now() - t;
      await runtime.close();
      runs.push({
        baseline: (read / baselineMs) * 1000,
        source: (N / aloneMs) * 1000,
        runtime: (N / runtimeMs) * 1000,
      });
    }
    const median = (key) => {
      const sorted = runs.map((run) => run[key]).sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)];
    };
    return {
      events: N,
      rounds: ROUNDS,
      baselineRowsPerSecond: Math.round(median('baseline')),
      sourceEventsPerSecond: Math.round(median('source')),
      runtimeEventsPerSecond: Math.round(median('runtime')),
      sourceRatio: +(median('source') / median('baseline')).toFixed(3),
      runtimeRatio: +(median('runtime') / median('baseline')).toFixed(3),
      runs: runs.map((run) => ({
        baseline: Math.round(run.baseline),
        source: Math.round(run.source),
        runtime: Math.round(run.runtime),
      })),
    };
  });
}

async function latency() {
  return withDatabase('lat', async (db, url) => {
    const writer = new pg.Client({ connectionString: url });
    writer.on('error', () => undefined);
    await writer.connect();
    // One writer, one row per transaction: without a disk sync per commit it can hold RATE.
    await writer.query('SET synchronous_commit = off');
    // Reference time: when the writer got its commit acknowledged. A delivery can start before
    // that acknowledgement reaches the writer; those count as 0 ms.
    const committedAt = new Map();
    const notifiedAt = new Map();
    const handledAt = new Map();
    // Baseline: the same commits observed by a plain LISTEN connection.
    const listener = new pg.Client({ connectionString: url });
    listener.on('error', () => undefined);
    await listener.connect();
    await listener.query(`LISTEN ${core.CHANGE_LOG_CHANNEL}`);
    listener.on('notification', (message) => {
      if (message.payload !== undefined) notifiedAt.set(message.payload, now());
    });
    const { runtime } = await startRuntime(
      db,
      async (event) => {
        handledAt.set(event.seq.toString(), now());
      },
      { batchSize: 500 },
      { concurrency: 16, prefetch: 256 },
    );
    const total = RATE * SECONDS;
    const start = now();
    for (let i = 0; i < total; i += 1) {
      const due = start + (i * 1000) / RATE;
      const wait = due - now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const result = await writer.query(
        `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
         VALUES ('Order', $1, 'INSERT', '{"n": 1}') RETURNING pk_entity_change_log::text AS pk`,
        [String(i)],
      );
      committedAt.set(result.rows[0].pk, now());
    }
    const achievedRate = (total / (now() - start)) * 1000;
    await until(() => handledAt.size >= total && notifiedAt.size >= total, 60_000);
    await runtime.close();
    await listener.end();
    await writer.end();
    // The first second warms up connections and JIT; report the steady state.
    const latencies = (seen) =>
      [...committedAt]
        .slice(RATE)
        .map(([seq, at]) => Math.max(0, seen.get(seq) - at))
        .sort((a, b) => a - b);
    const handler = latencies(handledAt);
    const notify = latencies(notifiedAt);
    return {
      events: total,
      achievedRate: Math.round(achievedRate),
      notifyP50Ms: +percentile(notify, 50).toFixed(2),
      notifyP99Ms: +percentile(notify, 99).toFixed(2),
      handlerP50Ms: +percentile(handler, 50).toFixed(2),
      handlerP99Ms: +percentile(handler, 99).toFixed(2),
      handlerMaxMs: +handler.at(-1).toFixed(2),
    };
  });
}

async function capture() {
  return withDatabase('cap', async (db, url) => {
    for (const table of ['tb_plain', 'tb_captured']) {
      await db.exec(
        `CREATE TABLE ${table} (id bigint PRIMARY KEY, status text NOT NULL, amount int NOT NULL)`,
      );
    }
    await core.installCapture(db, { table: 'tb_captured', entityType: 'Order', idColumn: 'id' });
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    // Without a disk sync per commit, so the trigger's own cost is what differs.
    await client.query('SET synchronous_commit = off');
    const SINGLE = 3000;
    const BULK = 100;
    const result = {};
    // Alternate the two tables to spread machine noise evenly.
    const times = { tb_plain: { single: 0, bulk: 0 }, tb_captured: { single: 0, bulk: 0 } };
    let id = 0;
    for (let round = 0; round < 3; round += 1) {
      for (const table of ['tb_plain', 'tb_captured']) {
        let t = now();
        for (let i = 0; i < SINGLE / 3; i += 1) {
          id += 1;
          await client.query(`INSERT INTO ${table} (id, status, amount) VALUES ($1, 'new', $2)`, [
            id,
            id % 1000,
          ]);
        }
        times[table].single += now() - t;
        t = now();
        for (let i = 0; i < BULK / 3; i += 1) {
          await client.query(
            `INSERT INTO ${table} (id, status, amount) SELECT g, 'new', g % 1000 FROM generate_series($1::bigint, $2::bigint) g`,
            [id + 1, id + 1000],
          );
          id += 1000;
        }
        times[table].bulk += now() - t;
      }
    }
    await client.end();
    const singleRows = Math.floor(SINGLE / 3) * 3;
    const bulkRows = Math.floor(BULK / 3) * 3 * 1000;
    for (const table of ['tb_plain', 'tb_captured']) {
      result[table] = {
        singleRowInsertsPerSecond: Math.round((singleRows / times[table].single) * 1000),
        bulkRowsPerSecond: Math.round((bulkRows / times[table].bulk) * 1000),
      };
    }
    result.singleRowRatio = +(
      result.tb_captured.singleRowInsertsPerSecond / result.tb_plain.singleRowInsertsPerSecond
    ).toFixed(3);
    result.bulkRatio = +(
      result.tb_captured.bulkRowsPerSecond / result.tb_plain.bulkRowsPerSecond
    ).toFixed(3);
    return result;
  });
}

async function memory() {
  return withDatabase('mem', async (db) => {
    let handled = 0;
    const { runtime, source } = await startRuntime(db, async () => {
      handled += 1;
    });
    const samples = [];
    const started = now();
    const sampler = setInterval(() => {
      samples.push({
        s: Math.round((now() - started) / 100) / 10,
        handled,
        rssMb: Math.round(process.memoryUsage().rss / 1048576),
      });
    }, SAMPLE_MS);
    let written = 0;
    // Keep a bounded backlog (at most 20k rows ahead) so the writer does not outrun the reader.
    while (written < EVENTS && now() - started < MAX_SECONDS * 1000) {
      if (written - handled > 20_000) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      const count = Math.min(5_000, EVENTS - written);
      await db.query(INSERT_ROWS, [written + 1, written + count]);
      written += count;
    }
    await until(() => handled >= written, 120_000);
    const elapsed = (now() - started) / 1000;
    clearInterval(sampler);
    await until(async () => (await source.backlog()).events === 0);
    await runtime.close();
    // Skip the first 10 s (pools, JIT and buffers warming up).
    const steady = samples.filter((sample) => sample.s >= 10).map((sample) => sample.rssMb);
    if (env.CHART !== undefined) {
      writeFileSync(env.CHART, rssChart(samples, written));
      console.error(`chart written to ${env.CHART}`);
    }
    return {
      events: written,
      seconds: Math.round(elapsed),
      eventsPerSecond: Math.round(written / elapsed),
      samplesTaken: samples.length,
      rssMbAfterWarmup: { min: Math.min(...steady), max: Math.max(...steady), last: steady.at(-1) },
      samples: samples.filter((_, i) => i % Math.max(1, Math.round(30_000 / SAMPLE_MS)) === 0),
    };
  });
}

/** An SVG line chart of RSS (MiB) and events handled against time, one point per sample. */
function rssChart(samples, events) {
  const width = 720;
  const height = 320;
  const left = 56;
  const bottom = 40;
  const top = 24;
  const right = 64;
  const maxS = Math.max(1, ...samples.map((sample) => sample.s));
  const maxRss = Math.max(100, ...samples.map((sample) => sample.rssMb));
  const rssTop = Math.ceil(maxRss / 100) * 100;
  const x = (s) => left + ((width - left - right) * s) / maxS;
  const yRss = (mb) => height - bottom - ((height - bottom - top) * mb) / rssTop;
  const yDone = (n) => height - bottom - ((height - bottom - top) * n) / Math.max(1, events);
  const line = (points) => points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
  const rssLine = line(samples.map((sample) => [x(sample.s), yRss(sample.rssMb)]));
  const doneLine = line(samples.map((sample) => [x(sample.s), yDone(sample.handled)]));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const mb = Math.round(rssTop * f);
    return `<line x1="${left}" x2="${width - right}" y1="${yRss(mb)}" y2="${yRss(mb)}" stroke="#ddd"/><text x="${left - 6}" y="${yRss(mb) + 4}" text-anchor="end">${mb}</text><text x="${width - right + 6}" y="${yRss(mb) + 4}">${Math.round((events * f) / 1e5) / 10}M</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
${ticks.join('\n')}
<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${rssLine}"/>
<polyline fill="none" stroke="#ff7f0e" stroke-width="1" stroke-dasharray="4 3" points="${doneLine}"/>
<text x="${left}" y="14">RSS (MiB, left, solid) and events handled (right, dashed), ${samples.length} samples every ${SAMPLE_MS} ms</text>
<text x="${(left + width - right) / 2}" y="${height - 8}" text-anchor="middle">seconds (0 – ${Math.round(maxS)})</text>
</svg>
`;
}

const runs = { throughput, latency, capture, memory };
const selected = mode === 'all' ? Object.keys(runs) : [mode];
for (const name of selected) {
  const result = await runs[name]();
  console.log(JSON.stringify({ [name]: result }, null, 2));
}
