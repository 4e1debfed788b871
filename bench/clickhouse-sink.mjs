/* global console, process, URL, setTimeout, setInterval, clearInterval, performance, Buffer */
// The ClickHouse sink against a raw @clickhouse/client insert, same server, same run:
//
//   throughput  N events (change-log rows, read once from PostgreSQL) stored by the sink
//               (`write` + `flush`, batches of BATCH rows) vs `client.insert` of the same rows in
//               the sink's format (TabSeparated, encoding timed) in batches of BATCH into an
//               identical table (views included); `client.insert` of JSONEachRow objects for
//               reference; then the same N events from a change-log backlog, once through
//               `sink.consumeChangeLog` (a change-log reader: pages as COPY text, one position) and once
//               through `createChangeLogSource` + `consume` (claims and settles every event),
//               alternating which goes first. WARMUP rounds (every variant once, not counted:
//               code compiled, heap grown), then ROUNDS rounds, the first three variants in
//               a rotated order each round (no variant always runs first); each figure is a
//               ratio to the raw TabSeparated insert of its own round; medians. Beside each
//               rate: CPU seconds of this process, of the ClickHouse server and (change-log
//               variants) of PostgreSQL per 100,000 events (what the two cores spent on it,
//               whoever waited). The change log is ANALYZEd once written, as autovacuum would.
//   latency     commit → visible in the per-minute aggregate at RATE events/s for SECONDS s:
//               commits of RATE/50 rows every 20 ms; a poller reads sum(events) every 20 ms;
//               through the observers' change-log source and through `consumeChangeLog`
//               (a change-log reader), both woken by the change log's NOTIFY, each with
//               batch.maxAge 1 s (the default) and 100 ms.
//   memory      ClickHouse stopped for DOWN s under RATE_DOWN events/s: heap and buffered rows
//               every second (the source must pause, not buffer without limit); then restart and
//               check nothing was lost. Through the observers' source, then `consumeChangeLog`.
//
//   pnpm exec tsc -b && node bench/clickhouse-sink.mjs [all|throughput|latency|memory]
//   env: N=200000 BATCH=10000 ROUNDS=3 WARMUP=1 RATE=1000 SECONDS=20 RATE_DOWN=2000 DOWN=60
//        DATABASE_URL (default the local PostgreSQL, a fresh database per run)
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { findProcesses, processCpuMs } from './proc-cpu.mjs';

const require = createRequire(new URL('../packages/clickhouse/package.json', import.meta.url));
const { createClient } = require('@clickhouse/client');
const ch = await import('../packages/clickhouse/dist/index.js');
const core = await import('../packages/core/dist/index.js');
const { createChangeLogSource, observerMigrations } =
  await import('../packages/observers/dist/index.js');
const { startService, createTestDatabase } = await import('../packages/testing/dist/index.js');

const mode = process.argv[2] ?? 'all';
const env = process.env;
const N = Number(env.N ?? 200_000);
const BATCH = Number(env.BATCH ?? 10_000);
const ROUNDS = Number(env.ROUNDS ?? 3);
const WARMUP = Number(env.WARMUP ?? 1);
const RATE = Number(env.RATE ?? 1000);
const SECONDS = Number(env.SECONDS ?? 20);
const RATE_DOWN = Number(env.RATE_DOWN ?? 2000);
const DOWN = Number(env.DOWN ?? 60);

const COLUMNS = [
  'event_id',
  'seq',
  'event_type',
  'entity_type',
  'entity_id',
  'tenant_id',
  'user_id',
  'timestamp',
  'data',
  'payload_bytes',
];
const TSV_ESCAPES = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const fmt = (n) => Math.round(n).toLocaleString('en-US');
let dbCounter = 0;
const chName = (label) => `bench_${label}_${process.pid}_${dbCounter++}`;

const server = await startService('clickhouse');
const pgDatabase = await createTestDatabase({
  kind: 'postgres',
  url: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  origin: 'env',
});
const db = await core.connectDatabase({ url: pgDatabase.url, maxConnections: 8 });
await core.migrate(db, { sets: [core.coreMigrations, observerMigrations] });
const chConnection = ch.createHttpConnection({ url: server.url });

/** CPU seconds used so far by the private ClickHouse server (found by its config path). */
function serverCpuSeconds() {
  // The reaper (a node process) names the config file in its arguments too.
  const [pid] = findProcesses(
    (cmdline, comm) =>
      cmdline.includes(`${server.dir}/config.xml`) && comm.startsWith('clickhouse'),
  );
  return pid === undefined ? Number.NaN : processCpuMs(pid) / 1000;
}

/** CPU seconds used so far by every PostgreSQL process of this host. */
function postgresCpuSeconds() {
  const pids = findProcesses((_cmdline, comm) => comm.startsWith('postgres'));
  return pids.reduce((sum, pid) => sum + (processCpuMs(pid) || 0), 0) / 1000;
}

/**
 * Runs `fn`; returns events/s and the CPU seconds per 100,000 events here, in the ClickHouse
 * server and in PostgreSQL.
 */
async function measured(events, fn) {
  const cpu = process.cpuUsage();
  const serverCpu = serverCpuSeconds();
  const pgCpu = postgresCpuSeconds();
  const started = performance.now();
  await fn();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const per = 100_000 / events;
  return {
    rate: events / seconds,
    nodeCpu: ((used.user + used.system) / 1e6) * per,
    serverCpu: (serverCpuSeconds() - serverCpu) * per,
    pgCpu: (postgresCpuSeconds() - pgCpu) * per,
  };
}
const raw = createClient({ url: server.url, log: { level: 127 } });
console.log(`ClickHouse ${server.url}, PostgreSQL ${core.redactUrl(pgDatabase.url)}`);

async function commit(count) {
  await db.query(
    `INSERT INTO core.tb_entity_change_log
       (object_type, object_id, modification_type, tenant_id, object_data)
     SELECT (ARRAY['order', 'customer', 'invoice'])[1 + g % 3], (g % 1000)::text,
            (ARRAY['INSERT','UPDATE','DELETE','CUSTOM'])[1 + g % 4],
            '00000000-0000-0000-0000-00000000000' || (g % 10)::text,
            jsonb_build_object('n', g, 'status', 'shipped', 'total', g * 1.5, 'note', repeat('x', g % 40))
     FROM generate_series(1, $1::int) g`,
    [count],
  );
}

async function maxSeq() {
  const r = await db.query(
    'SELECT coalesce(max(pk_entity_change_log), 0)::text AS s FROM core.tb_entity_change_log',
  );
  return BigInt(r.rows[0].s);
}

async function count(table) {
  const [row] = await chConnection.query(`SELECT count() AS n FROM ${table}`);
  return Number(row.n);
}

async function sinkFor(database, options = {}) {
  return ch.createClickHouseSink({
    connection: chConnection,
    database,
    batch: { maxRows: BATCH, maxBytes: 64 * 1024 * 1024, maxAge: 200 },
    maxBufferedRows: BATCH * 5,
    ...options,
  });
}

async function throughput() {
  const before = await maxSeq();
  await commit(N);
  // As autovacuum would soon: without statistics, a page read may sort the whole log.
  await db.query('ANALYZE core.tb_entity_change_log');
  const events = [];
  for await (const event of core.readChangeLogRange(db, {
    from: before + 1n,
    to: await maxSeq(),
    pageSize: 10_000,
  })) {
    events.push(event);
  }
  console.log(`\nthroughput: ${fmt(events.length)} events, batches of ${fmt(BATCH)}`);
  const rawRows = (caps) =>
    events.map((e) => {
      const row = ch.eventToRow(e);
      return {
        event_id: row.eventId,
        seq: Number(row.seq),
        event_type: row.eventType,
        entity_type: row.entityType,
        entity_id: row.entityId,
        tenant_id: row.tenantId,
        user_id: row.userId,
        timestamp: caps.dateTime64
          ? e.timestamp.toISOString().replace('T', ' ').replace('Z', '')
          : e.timestamp.toISOString().slice(0, 19).replace('T', ' '),
        data: row.data,
        payload_bytes: Buffer.byteLength(row.data),
      };
    });
  const tsvLine = (r) =>
    [
      r.event_id,
      r.seq,
      r.event_type,
      r.entity_type,
      r.entity_id,
      r.tenant_id,
      r.user_id,
      r.timestamp,
      r.data,
      r.payload_bytes,
    ]
      .map((v) => String(v).replace(/[\\\t\n\r\0]/g, (c) => TSV_ESCAPES[c]))
      .join('\t');
  const results = { rawJson: [], raw: [], sink: [], source: [], reader: [] };
  const ratios = { rawJson: [], sink: [], source: [], reader: [] };
  const fresh = async (label) => {
    const sink = await sinkFor(chName(label));
    await sink.close();
    return sink;
  };
  const rawInsert = async (format) => {
    const sink = await fresh(format === 'TabSeparated' ? 'raw' : 'rawjson');
    const rows = rawRows(sink.capabilities);
    const result = await measured(rows.length, async () => {
      for (let i = 0; i < rows.length; i += BATCH) {
        const slice = rows.slice(i, i + BATCH);
        await raw.insert({
          table: `${sink.tables.database}.fraiseql_events`,
          columns: COLUMNS,
          format,
          values:
            format === 'TabSeparated'
              ? Readable.from([Buffer.from(slice.map(tsvLine).join('\n') + '\n')], {
                  objectMode: false,
                })
              : slice,
        });
      }
    });
    if ((await count(sink.tables.raw)) !== rows.length) throw new Error('raw baseline lost rows');
    await chConnection.command(`DROP DATABASE ${sink.tables.database}`);
    return result;
  };
  const sinkWrite = async () => {
    const sink = await sinkFor(chName('sink'));
    const result = await measured(events.length, async () => {
      for (let i = 0; i < events.length; i += BATCH) await sink.write(events.slice(i, i + BATCH));
      await sink.flush();
    });
    if ((await count(sink.tables.raw)) !== events.length) throw new Error('sink lost rows');
    await sink.close();
    await chConnection.command(`DROP DATABASE ${sink.tables.database}`);
    return result;
  };
  const variants = {
    // Baseline: raw @clickhouse/client inserts of the same rows into the same DDL (views
    // included), in the sink's format (TabSeparated) and batch size; encoding is timed.
    raw: () => rawInsert('TabSeparated'),
    // For reference: the same with the client serialising the row objects as JSONEachRow.
    rawJson: () => rawInsert('JSONEachRow'),
    // The sink, fed from memory (write + flush).
    sink: sinkWrite,
  };
  const order = Object.keys(variants);
  const cpu = { raw: [], sink: [], reader: [], source: [] };
  for (let round = 1; round <= WARMUP + ROUNDS; round++) {
    const shift = (round - 1) % order.length;
    for (const key of [...order.slice(shift), ...order.slice(0, shift)]) {
      const result = await variants[key]();
      results[key].push(result.rate);
      if (key in cpu) cpu[key].push(result);
    }
    // The sink fed from a backlog of the same rows in the change log, both ways.
    const fromChangeLog = {
      reader: (sink) => sink.consumeChangeLog(db, { reader: chName('r'), pollInterval: 50 }),
      source: (sink) =>
        sink.consume(
          createChangeLogSource(db, {
            consumer: chName('c'),
            batchSize: 5000,
            pollInterval: '100ms',
            listen: false,
          }),
          { maxInFlight: BATCH * 3 },
        ),
    };
    const logOrder = round % 2 === 1 ? ['reader', 'source'] : ['source', 'reader'];
    for (const key of logOrder) {
      const sink = await sinkFor(chName(key));
      const total = Number(await maxSeq()); // every row of the log
      let pipe;
      const result = await measured(total, async () => {
        pipe = await fromChangeLog[key](sink);
        while ((await count(sink.tables.raw)) < total) await sleep(50);
      });
      results[key].push(result.rate);
      cpu[key].push(result);
      await pipe.close();
      await sink.close();
      await chConnection.command(`DROP DATABASE ${sink.tables.database}`);
    }
    const base = results.raw.at(-1);
    for (const key of ['rawJson', 'sink', 'source', 'reader']) {
      ratios[key].push(results[key].at(-1) / base);
    }
    const c = (key) => {
      const last = cpu[key].at(-1);
      const pg =
        key === 'reader' || key === 'source' ? ` + ${last.pgCpu.toFixed(2)} s PostgreSQL` : '';
      return `${last.nodeCpu.toFixed(2)} s here + ${last.serverCpu.toFixed(2)} s server${pg}`;
    };
    console.log(
      `round ${round}${round <= WARMUP ? ' (warm-up, not counted)' : ''} (${order.slice(shift).concat(order.slice(0, shift)).join(', ')}, then ${logOrder.join(', ')}; CPU per 100k events: raw ${c('raw')}, sink ${c('sink')}, reader ${c('reader')}, source ${c('source')}): raw TabSeparated ${fmt(base)}/s, raw JSONEachRow ${fmt(results.rawJson.at(-1))}/s (${ratios.rawJson.at(-1).toFixed(2)}×), sink ${fmt(results.sink.at(-1))}/s (${ratios.sink.at(-1).toFixed(2)}×), change-log reader → sink ${fmt(results.reader.at(-1))}/s (${ratios.reader.at(-1).toFixed(2)}×), change-log source → sink ${fmt(results.source.at(-1))}/s (${ratios.source.at(-1).toFixed(2)}×)`,
    );
  }
  // Warm-up rounds run every variant once (code paths compiled, heap grown) and are dropped.
  for (const series of [results, ratios, cpu]) {
    for (const values of Object.values(series)) values.splice(0, WARMUP);
  }
  console.log(
    `medians over ${ROUNDS} rounds after ${WARMUP} warm-up (ratios are per round, against that round's raw TabSeparated insert):`,
  );
  console.log(
    `  raw @clickhouse/client insert, TabSeparated  ${fmt(median(results.raw))} events/s`,
  );
  console.log(
    `  raw @clickhouse/client insert, JSONEachRow   ${fmt(median(results.rawJson))} events/s = ${median(ratios.rawJson).toFixed(2)}×`,
  );
  console.log(
    `  sink write + flush                           ${fmt(median(results.sink))} events/s = ${median(ratios.sink).toFixed(2)}×`,
  );
  console.log(
    `  change-log backlog → consumeChangeLog        ${fmt(median(results.reader))} events/s = ${median(ratios.reader).toFixed(2)}× (rounds ${ratios.reader.map((r) => r.toFixed(2)).join(' ')})`,
  );
  console.log(
    `  change-log backlog → source → consume        ${fmt(median(results.source))} events/s = ${median(ratios.source).toFixed(2)}× (rounds ${ratios.source.map((r) => r.toFixed(2)).join(' ')})`,
  );
  const m = (key, part) => median(cpu[key].map((r) => r[part])).toFixed(2);
  console.log(
    `  CPU per 100,000 events (medians): raw ${m('raw', 'nodeCpu')} s here + ${m('raw', 'serverCpu')} s server; sink ${m('sink', 'nodeCpu')} s here + ${m('sink', 'serverCpu')} s server; reader ${m('reader', 'nodeCpu')} s here + ${m('reader', 'serverCpu')} s server + ${m('reader', 'pgCpu')} s PostgreSQL; source ${m('source', 'nodeCpu')} s here + ${m('source', 'serverCpu')} s server + ${m('source', 'pgCpu')} s PostgreSQL`,
  );
}

async function latency(maxAge, path) {
  const sink = await sinkFor(chName('lat'), { batch: { maxRows: BATCH, maxAge } });
  const aggregated = async () => {
    const [row] = await chConnection.query(`SELECT sum(events) AS n FROM ${sink.tables.perMinute}`);
    return Number(row?.n ?? 0);
  };
  let pipe;
  if (path === 'reader') {
    // The reader starts at the beginning of the change log: let it catch up first.
    const backlog = Number(await maxSeq());
    pipe = sink.consumeChangeLog(db, { reader: chName('lat') });
    while (pipe.acknowledged() < backlog) await sleep(50);
  } else {
    const source = createChangeLogSource(db, {
      consumer: chName('lat'),
      startFrom: 'now',
      pollInterval: '1s',
    });
    pipe = await sink.consume(source);
  }
  const baseline = await aggregated();
  const perCommit = Math.max(1, Math.round(RATE / 50));
  const commits = [];
  let stop = false;
  let visible = 0;
  const latencies = [];
  const poller = (async () => {
    let next = 0;
    while (!stop || next < commits.length) {
      visible = (await aggregated()) - baseline;
      const now = performance.now();
      while (next < commits.length && commits[next].cumulative <= visible) {
        latencies.push(now - commits[next].at);
        next += 1;
      }
      await sleep(20);
    }
  })();
  const started = performance.now();
  const end = started + SECONDS * 1000;
  let cumulative = 0;
  while (performance.now() < end) {
    await commit(perCommit);
    cumulative += perCommit;
    commits.push({ at: performance.now(), cumulative });
    // Paced against the start, so a late commit is made up and the rate holds on average.
    const wait = started + commits.length * 20 - performance.now();
    if (wait > 0) await sleep(wait);
  }
  stop = true;
  await poller;
  await pipe.close();
  await sink.close();
  console.log(
    `latency (${path === 'reader' ? 'consumeChangeLog (NOTIFY wake-ups)' : 'change-log source → consume'}, batch.maxAge ${maxAge} ms, ${fmt(cumulative / SECONDS)} events/s for ${SECONDS} s): commit → per-minute aggregate p50 ${fmt(pct(latencies, 50))} ms, p99 ${fmt(pct(latencies, 99))} ms (${latencies.length} commits)`,
  );
}

async function memory(path) {
  const sink = await sinkFor(chName('mem'), {
    batch: { maxRows: 5000, maxAge: 500 },
    maxBufferedRows: 20_000,
    retry: { initialDelay: 200, maxDelay: 2000 },
  });
  // The reader starts at the beginning of the change log: what is there already is expected too.
  const earlier = path === 'reader' ? Number(await maxSeq()) : 0;
  const pipe =
    path === 'reader'
      ? sink.consumeChangeLog(db, { reader: chName('mem'), pageSize: 5000, pollInterval: 500 })
      : await sink.consume(
          createChangeLogSource(db, {
            consumer: chName('mem'),
            startFrom: 'now',
            pollInterval: '500ms',
          }),
        );
  const samples = [];
  let phase = 'before';
  const sampler = setInterval(() => {
    samples.push({
      phase,
      heap: process.memoryUsage().heapUsed / 2 ** 20,
      rss: process.memoryUsage().rss / 2 ** 20,
      buffered: sink.health().bufferedRows,
    });
  }, 1000);
  let committed = 0;
  const writer = async (seconds) => {
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      const tick = performance.now();
      await commit(RATE_DOWN / 10);
      committed += RATE_DOWN / 10;
      const spent = performance.now() - tick;
      if (spent < 100) await sleep(100 - spent);
    }
  };
  await writer(10);
  phase = 'down';
  await server.stop('SIGKILL');
  await writer(DOWN);
  phase = 'after';
  await server.start();
  await writer(10);
  const deadline = performance.now() + 300_000;
  while ((await count(sink.tables.raw)) < earlier + committed && performance.now() < deadline)
    await sleep(500);
  clearInterval(sampler);
  const stored = (await count(sink.tables.raw)) - earlier;
  await pipe.close();
  await sink.close();
  const of = (p, key) => samples.filter((s) => s.phase === p).map((s) => s[key]);
  const show = (p) =>
    `heap max ${Math.max(...of(p, 'heap')).toFixed(0)} MiB, rss max ${Math.max(...of(p, 'rss')).toFixed(0)} MiB, buffered rows max ${fmt(Math.max(...of(p, 'buffered')))}`;
  console.log(
    `\nmemory (${path === 'reader' ? 'consumeChangeLog' : 'change-log source → consume'}): ${RATE_DOWN} events/s, ClickHouse killed for ${DOWN} s (maxBufferedRows 20,000)`,
  );
  console.log(`  before: ${show('before')}`);
  console.log(`  down:   ${show('down')}`);
  console.log(`  after:  ${show('after')}`);
  console.log(
    `  committed ${fmt(committed)}, stored ${fmt(stored)} (${stored === committed ? 'nothing lost' : 'MISMATCH'})`,
  );
}

try {
  if (mode === 'all' || mode === 'throughput') await throughput();
  if (mode === 'all' || mode === 'latency') {
    console.log('');
    await latency(1000, 'source');
    await latency(100, 'source');
    await latency(1000, 'reader');
    await latency(100, 'reader');
  }
  if (mode === 'all' || mode === 'memory') {
    await memory('source');
    await memory('reader');
  }
} finally {
  await raw.close();
  await chConnection.close();
  await db.close();
  await pgDatabase.close();
  await server.close();
}
