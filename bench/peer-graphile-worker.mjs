/* global console, process, URL, setTimeout, performance */
// FraiseQL against Graphile Worker, side by side in one run, on the same table shape, the same
// event count and the same concurrency: the standard Node way to turn a committed row change
// into a durable job is a trigger that calls `graphile_worker.add_job` and a worker with a task.
//
// Variants (each on a fresh database of its own, created and dropped by this script):
//   fraiseql          core's capture trigger → change-log source → observer runtime → executor,
//                     one observer with a no-op `function` action
//   fraiseql-source   the same capture and source, the runtime's handler does nothing (no
//                     executor): how much of the FraiseQL figure is the source
//   graphile-row      AFTER INSERT … FOR EACH ROW trigger calling graphile_worker.add_job
//   graphile-stmt     AFTER INSERT … FOR EACH STATEMENT trigger with a transition table calling
//                     graphile_worker.add_jobs once per statement
// Both Graphile variants run Graphile Worker with its documented high-throughput settings
// (https://worker.graphile.org/docs/performance: localQueue, completeJobBatchDelay 0,
// failJobBatchDelay 0, pool = concurrency + 1). Every job/event carries the row as JSON.
//
// Per variant:
//   drain    a backlog of EVENTS rows written (1000-row INSERTs) before the consumer starts;
//            events/s until the handler saw every row, and this process's CPU µs per event
//   latency  single-row autocommit INSERTs at RATE/s for SECONDS with the consumer running;
//            commit (INSERT returned) → handler ran, p50/p99
//   write    with no consumer: single-row INSERTs (4 writers) and 1000-row INSERTs (one
//            writer) on the captured table, as rows/s and as a ratio to the same statements on
//            a table without any trigger in the same database, measured alternately
// Writers use synchronous_commit = off everywhere (the same for every variant), so the trigger's
// cost is not hidden behind the WAL flush.
//
//   pnpm exec tsc -b && node bench/peer-graphile-worker.mjs
//   env: PEER_EVENTS=100000 PEER_RATE=500 PEER_SECONDS=10 PEER_CONCURRENCY=24
//        PEER_WRITE_ROUNDS=3 PEER_BACKLOG_ROWS=1000 PEER_BATCH_STATEMENTS=20 PEER_VARIANTS=fraiseql,fraiseql-source,graphile-row,graphile-stmt
//        PEER_PHASES=drain,latency,write PEER_DB_PREFIX=fraiseql_bench_peer
//        DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
import { createRequire } from 'node:module';

const require = createRequire(new URL('../packages/observers/package.json', import.meta.url));
const pg = require('pg');
const graphile = await import('graphile-worker');
const core = await import('../packages/core/dist/index.js');
const observers = await import('../packages/observers/dist/index.js');
const { createChangeLogSource } =
  await import('../packages/observers/dist/sources/change-log/change-log-source.js');
const { createObserverRuntime } =
  await import('../packages/observers/dist/runtime/observer-runtime.js');
const { observerMigrations } =
  await import('../packages/observers/dist/migrations/observer-migrations.js');
const { createActionRegistry } =
  await import('../packages/observers/dist/actions/action-registry.js');

const env = (name, fallback) => process.env[name] ?? fallback;
const EVENTS = Number(env('PEER_EVENTS', 100_000));
const RATE = Number(env('PEER_RATE', 500));
const SECONDS = Number(env('PEER_SECONDS', 10));
const CONCURRENCY = Number(env('PEER_CONCURRENCY', 24));
const WRITE_ROUNDS = Number(env('PEER_WRITE_ROUNDS', 3));
// Rows per backlog INSERT (Graphile's per-row add_job slows down sharply with statement size).
const BACKLOG_ROWS = Number(env('PEER_BACKLOG_ROWS', 1000));
// 1000-row statements per round of the write phase.
const BATCH_STATEMENTS = Number(env('PEER_BATCH_STATEMENTS', 20));
const VARIANTS = env('PEER_VARIANTS', 'fraiseql,fraiseql-source,graphile-row,graphile-stmt').split(
  ',',
);
const PHASES = new Set(env('PEER_PHASES', 'drain,latency,write').split(','));
const PREFIX = env('PEER_DB_PREFIX', 'fraiseql_bench_peer');
const serverUrl = env('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/postgres');
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (line) => process.stderr.write(`${line}\n`);

// The table of every variant; `plain` is the same table without any trigger (write baseline).
const TABLE_DDL = (name) => `CREATE TABLE ${name} (id bigint PRIMARY KEY, n bigint NOT NULL,
  amount integer NOT NULL, tier text NOT NULL, status text NOT NULL)`;
const ROWS_FROM = (expr) => `SELECT n, n, (n * 7919) % 1000,
  CASE WHEN n % 10 = 0 THEN 'vip' ELSE 'std' END, 'new' FROM ${expr} AS n`;

const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();

function databaseUrl(name) {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function openDatabase(variant) {
  const name = `${PREFIX}_${variant.replace(/\W/g, '_')}_${process.pid}`;
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = databaseUrl(name);
  const writers = new pg.Pool({
    connectionString: url,
    max: 4,
    options: '-c synchronous_commit=off',
  });
  writers.on('error', () => undefined);
  await writers.query(TABLE_DDL('tb_order'));
  await writers.query(TABLE_DDL('tb_plain'));
  return {
    name,
    url,
    writers,
    drop: async () => {
      await writers.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

// ---- variants -------------------------------------------------------------------------------
// Each returns { install(db), start(db, onHandled) → stop() }.
const graphilePreset = {
  worker: {
    concurrentJobs: CONCURRENCY,
    maxPoolSize: CONCURRENCY + 1,
    localQueue: { size: 500 },
    completeJobBatchDelay: 0,
    failJobBatchDelay: 0,
    pollInterval: 2000,
  },
};
const silentGraphileLogger = new graphile.Logger(() => () => undefined);

async function installGraphile(db, perRow) {
  await graphile.runMigrations({ connectionString: db.url, logger: silentGraphileLogger });
  if (perRow) {
    await db.writers.query(`
      CREATE FUNCTION tb_order_job() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM graphile_worker.add_job('noop', row_to_json(NEW));
        RETURN NULL;
      END $$;
      CREATE TRIGGER tb_order_job AFTER INSERT ON tb_order
        FOR EACH ROW EXECUTE FUNCTION tb_order_job();`);
  } else {
    await db.writers.query(`
      CREATE FUNCTION tb_order_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM graphile_worker.add_jobs(ARRAY(
          SELECT ROW('noop', row_to_json(r), NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec
            FROM new_rows AS r));
        RETURN NULL;
      END $$;
      CREATE TRIGGER tb_order_jobs AFTER INSERT ON tb_order
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION tb_order_jobs();`);
  }
}

async function startGraphile(db, onHandled) {
  const runner = await graphile.run({
    connectionString: db.url,
    concurrency: CONCURRENCY,
    noHandleSignals: true,
    logger: silentGraphileLogger,
    preset: graphilePreset,
    taskList: {
      noop: async (payload) => {
        onHandled(Number(payload.n));
      },
    },
  });
  return () => runner.stop();
}

async function installFraiseql(db) {
  const client = core.pgClient(new pg.Pool({ connectionString: db.url, max: 2 }), {
    ownsPool: true,
  });
  try {
    await core.migrate(client, { sets: [core.coreMigrations, observerMigrations] });
    await core.installCapture(client, { table: 'tb_order', entityType: 'Order', idColumn: 'id' });
  } finally {
    await client.close();
  }
}

async function startFraiseql(db, onHandled, withExecutor) {
  const pool = new pg.Pool({ connectionString: db.url, max: 10 });
  pool.on('error', () => undefined);
  const client = core.pgClient(pool, { ownsPool: true });
  let handler;
  let registry;
  let executor;
  if (withExecutor) {
    registry = createActionRegistry();
    registry.registerFunction('noop', (event) => {
      onHandled(Number(event.data.n));
    });
    executor = observers.createObserverExecutor({
      matcher: observers.createMatcher([
        {
          name: 'orders',
          entity: 'Order',
          events: ['INSERT'],
          actions: [{ type: 'function', name: 'noop' }],
          onFailure: 'log',
          ordering: 'none',
          enabled: true,
        },
      ]),
      registry,
      concurrency: CONCURRENCY,
    });
    handler = executor;
  } else {
    handler = async (event) => {
      onHandled(Number(event.data.n));
    };
  }
  const source = createChangeLogSource(client, { consumer: 'peer' });
  const runtime = createObserverRuntime({ sources: source, handler, concurrency: CONCURRENCY });
  await runtime.start();
  return async () => {
    await runtime.close();
    await executor?.close();
    await registry?.close();
    await client.close();
  };
}

const variants = {
  fraiseql: {
    label: 'FraiseQL (function action)',
    install: installFraiseql,
    start: (db, onHandled) => startFraiseql(db, onHandled, true),
  },
  'fraiseql-source': {
    label: 'FraiseQL source only',
    install: installFraiseql,
    start: (db, onHandled) => startFraiseql(db, onHandled, false),
  },
  'graphile-row': {
    label: 'Graphile Worker, add_job per row',
    install: (db) => installGraphile(db, true),
    start: startGraphile,
  },
  'graphile-stmt': {
    label: 'Graphile Worker, add_jobs per statement',
    install: (db) => installGraphile(db, false),
    start: startGraphile,
  },
};

// ---- phases ---------------------------------------------------------------------------------
let nextN = 0;
async function writeBacklog(db, count) {
  for (let done = 0; done < count; done += BACKLOG_ROWS) {
    const from = nextN + 1;
    const to = nextN + Math.min(BACKLOG_ROWS, count - done);
    nextN = to;
    await db.writers.query(
      `INSERT INTO tb_order (id, n, amount, tier, status) ${ROWS_FROM(`generate_series(${from}::bigint, ${to}::bigint)`)}`,
    );
  }
}

async function waitFor(condition, what, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function drainAndLatency(variant, db) {
  const handled = new Map();
  let seen = 0;
  const onHandled = (n) => {
    if (!handled.has(n)) {
      handled.set(n, now());
      seen += 1;
    }
  };
  const result = {};
  if (PHASES.has('drain')) {
    const first = nextN + 1;
    await writeBacklog(db, EVENTS);
    progress(`${variant}: backlog of ${EVENTS} written`);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const stop = await variants[variant].start(db, onHandled);
    await waitFor(() => seen >= EVENTS, `${variant} drain`);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    for (let n = first; n < first + EVENTS; n += 1) {
      if (!handled.has(n)) throw new Error(`${variant}: row ${n} was not handled`);
    }
    result.drainPerSecond = EVENTS / seconds;
    result.drainCpuMicros = (cpu.user + cpu.system) / EVENTS;
    progress(`${variant}: drained ${EVENTS} in ${seconds.toFixed(1)}s`);
    result.stop = stop;
  }
  if (PHASES.has('latency')) {
    result.stop ??= await variants[variant].start(db, onHandled);
    await sleep(500);
    const committed = new Map();
    const total = RATE * SECONDS;
    const first = nextN + 1;
    const start = performance.now();
    const inserts = [];
    for (let i = 0; i < total; i += 1) {
      const due = start + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      nextN += 1;
      const n = nextN;
      inserts.push(
        db.writers
          .query(
            `INSERT INTO tb_order (id, n, amount, tier, status) ${ROWS_FROM(`unnest(ARRAY[$1::bigint])`)}`,
            [n],
          )
          .then(() => committed.set(n, now())),
      );
    }
    await Promise.all(inserts);
    result.achievedRate = total / ((performance.now() - start) / 1000);
    await waitFor(() => {
      for (let n = first; n < first + total; n += 1) if (!handled.has(n)) return false;
      return true;
    }, `${variant} latency rows`);
    const latencies = [...committed].map(([n, at]) => handled.get(n) - at).sort((a, b) => a - b);
    result.p50 = percentile(latencies, 50);
    result.p99 = percentile(latencies, 99);
    progress(`${variant}: ${total} rows at ${result.achievedRate.toFixed(0)}/s handled`);
  }
  await result.stop?.();
  delete result.stop;
  return result;
}

async function timeRows(db, table, kind) {
  // Returns rows/s of one round of `kind` statements on `table`.
  const t0 = performance.now();
  let rows = 0;
  if (kind === 'single') {
    const perWriter = 1000;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < perWriter; i += 1) {
          nextN += 1;
          await db.writers.query(
            `INSERT INTO ${table} (id, n, amount, tier, status) ${ROWS_FROM(`unnest(ARRAY[$1::bigint])`)}`,
            [nextN],
          );
        }
      }),
    );
    rows = 4 * perWriter;
  } else {
    for (let s = 0; s < BATCH_STATEMENTS; s += 1) {
      const from = nextN + 1;
      nextN += 1000;
      await db.writers.query(
        `INSERT INTO ${table} (id, n, amount, tier, status) ${ROWS_FROM(`generate_series(${from}::bigint, ${nextN}::bigint)`)}`,
      );
    }
    rows = BATCH_STATEMENTS * 1000;
  }
  return rows / ((performance.now() - t0) / 1000);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function writeCost(variant, db) {
  const result = {};
  for (const kind of ['single', 'batch']) {
    const ours = [];
    const plain = [];
    if (kind === 'single') {
      await timeRows(db, 'tb_order', kind); // warm-up
      await timeRows(db, 'tb_plain', kind);
    }
    for (let round = 0; round < WRITE_ROUNDS; round += 1) {
      plain.push(await timeRows(db, 'tb_plain', kind));
      ours.push(await timeRows(db, 'tb_order', kind));
    }
    result[kind] = { rowsPerSecond: median(ours), ratio: median(ours.map((o, i) => o / plain[i])) };
    progress(
      `${variant}: ${kind} INSERTs ${result[kind].rowsPerSecond.toFixed(0)} rows/s (${result[kind].ratio.toFixed(2)}× no trigger)`,
    );
  }
  return result;
}

const results = [];
for (const variant of VARIANTS) {
  if (variants[variant] === undefined) throw new Error(`unknown variant ${variant}`);
  const db = await openDatabase(variant);
  try {
    await variants[variant].install(db);
    const flow =
      PHASES.has('drain') || PHASES.has('latency') ? await drainAndLatency(variant, db) : {};
    const write = PHASES.has('write') ? await writeCost(variant, db) : {};
    results.push({ variant, ...flow, write });
  } finally {
    await db.drop();
  }
}
await admin.end();

const { loadavg } = await import('node:os');
const fmt = (x, d = 0) => (x === undefined ? '—' : x.toFixed(d));
console.log(
  `${EVENTS} events, concurrency ${CONCURRENCY}, rate ${RATE}/s for ${SECONDS}s, write rounds ${WRITE_ROUNDS}; graphile-worker ${require('graphile-worker/package.json').version}; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(
  '| variant | drain events/s | node CPU µs/event (drain) | p50 ms | p99 ms | 1-row INSERT rows/s (× no trigger) | 1000-row INSERT rows/s (× no trigger) |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  const w = (k) =>
    r.write[k] === undefined
      ? '—'
      : `${fmt(r.write[k].rowsPerSecond)} (${fmt(r.write[k].ratio, 2)}×)`;
  console.log(
    `| ${variants[r.variant].label} | ${fmt(r.drainPerSecond)} | ${fmt(r.drainCpuMicros, 1)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${w('single')} | ${w('batch')} |`,
  );
}
