/* global console, process, URL, fetch, setTimeout, setInterval, clearInterval, performance */
// End to end cost of observers over the change-log source: commit → webhook received.
//
// Baseline ("source only"): the change-log source and runtime deliver each event to a handler
// that does nothing. Full: the same source and runtime with the observer executor, 20 observers
// (5 per entity type over 4 captured tables, with conditions) and webhook actions to a local
// receiver running in its own process. Both run in the same process, one after the other, against
// their own database on the server at DATABASE_URL (default: the local loopback server).
//
// Reports, for each: drain throughput (events/s over a backlog of DRAIN events), latency
// commit → handled / webhook received (p50/p99) at RATE events/s, and CPU time of this process
// per event (source + runtime + matching + dispatch; PostgreSQL and the receiver excluded).
//
//   pnpm exec tsc -b && node bench/observers-e2e.mjs [rate=500] [seconds=10] [drain=5000]
//   env: E2E_ROUNDS=1 (source-only and dispatch alternate this many times; medians reported)
//        E2E_WEBHOOKS=0 skips the webhook phase
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const require = createRequire(new URL('../packages/observers/package.json', import.meta.url));
const pg = require('pg');
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
const { webhookActionSchema } = await import('../packages/observers/dist/config/action-config.js');
const { compileCondition } =
  await import('../packages/observers/dist/conditions/compile-condition.js');

const RATE = Number(process.argv[2] ?? 500);
const SECONDS = Number(process.argv[3] ?? 10);
const DRAIN = Number(process.argv[4] ?? 5000);
const ROUNDS = Number(process.env.E2E_ROUNDS ?? 1);
const WEBHOOKS = process.env.E2E_WEBHOOKS !== '0';
const ENTITIES = ['Order', 'Customer', 'Invoice', 'Shipment'];
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const now = () => performance.timeOrigin + performance.now();

// ---- database -------------------------------------------------------------------------------
// Every phase gets a fresh database, so no consumer starts behind rows of an earlier phase.
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
let db;
let writers;
let observerStatements = 0;
let dbName;
async function openDatabase(phase) {
  dbName = `fraiseql_bench_e2e_${phase.replace(/\W/g, '')}_${process.pid}`;
  await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(serverUrl);
  dbUrl.pathname = `/${dbName}`;
  // The observers' pool and the writers' pool are separate, as they would be in production:
  // the writers' queue must not delay the source's queries. Writers commit without waiting for
  // the WAL flush (the same for every phase), so the machine can sustain the target rate.
  const pool = new pg.Pool({ connectionString: dbUrl.toString(), max: 10 });
  pool.on('error', () => undefined);
  // Statements of the observers' connections (source and runtime), per phase.
  pool.on('connect', (client) => {
    const query = client.query.bind(client);
    client.query = (...args) => {
      observerStatements += 1;
      return query(...args);
    };
  });
  db = core.pgClient(pool, { ownsPool: true });
  const writerPool = new pg.Pool({
    connectionString: dbUrl.toString(),
    max: 8,
    options: '-c synchronous_commit=off',
  });
  writerPool.on('error', () => undefined);
  writers = core.pgClient(writerPool, { ownsPool: true });
  await core.migrate(db, { sets: [core.coreMigrations, observerMigrations] });
  for (const entity of ENTITIES) {
    const table = `tb_${entity.toLowerCase()}`;
    await db.exec(`CREATE TABLE ${table} (id bigint PRIMARY KEY, n bigint NOT NULL,
      amount integer NOT NULL, tier text NOT NULL, status text NOT NULL)`);
    await core.installCapture(db, { table, entityType: entity, idColumn: 'id' });
  }
}
async function closeDatabase() {
  await writers.close();
  await db.close();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
}
let nextId = 0;
function insertRows(count) {
  // One statement per table, spread round robin: returns the n of every row inserted.
  const byEntity = new Map(ENTITIES.map((e) => [e, []]));
  for (let i = 0; i < count; i += 1) {
    nextId += 1;
    byEntity.get(ENTITIES[nextId % ENTITIES.length]).push(nextId);
  }
  return Promise.all(
    [...byEntity]
      .filter(([, ns]) => ns.length > 0)
      .map(([entity, ns]) =>
        writers.query(
          `INSERT INTO tb_${entity.toLowerCase()} (id, n, amount, tier, status)
         SELECT n, n, (n * 7919) % 1000, CASE WHEN n % 10 = 0 THEN 'vip' ELSE 'std' END, 'new'
           FROM unnest($1::bigint[]) AS n`,
          [ns],
        ),
      ),
  );
}

// ---- receiver -------------------------------------------------------------------------------
const receiver = spawn(
  process.execPath,
  [new URL('./observers-e2e-receiver.mjs', import.meta.url).pathname],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
process.on('exit', () => receiver.kill());
const [portLine] = await once(createInterface({ input: receiver.stdout }), 'line');
const receiverUrl = `http://127.0.0.1:${portLine.trim()}`;
async function arrivals() {
  const response = await fetch(`${receiverUrl}/results`);
  return response.json();
}

// ---- observers ------------------------------------------------------------------------------
const makeDefinitions = (actionFor) =>
  ENTITIES.flatMap((entity) =>
    [
      // About one webhook per inserted row: `big` and `small` split the rows, `vip` adds 10 %.
      ['big', ['INSERT'], 'data.amount > 500'],
      ['small', ['INSERT'], 'data.amount <= 500 && data.tier != "vip"'],
      ['vip', ['INSERT'], 'data.tier == "vip"'],
      ['shipped', ['UPDATE'], 'field_changed_to("status", "shipped")'],
      ['gone', ['DELETE'], undefined],
    ].map(([suffix, events, condition]) => ({
      name: `${entity.toLowerCase()}-${suffix}`,
      entity,
      events,
      // The matcher reads `compiledCondition` (an observer definition's compiled form); without
      // it every INSERT observer matched every row: three actions per event instead of ~1.05.
      condition,
      compiledCondition: condition === undefined ? undefined : compileCondition(condition),
      actions: [actionFor(`${entity.toLowerCase()}-${suffix}`)],
      retry: { maxAttempts: 3, initialDelay: 100 },
      onFailure: 'log',
    })),
  );
const webhookDefinitions = makeDefinitions((path) =>
  webhookActionSchema.parse({
    type: 'webhook',
    url: `${receiverUrl}/${path}`,
    allowHosts: ['127.0.0.1'],
    // Standard Webhooks signing on, as a production endpoint would have it.
    signing: { secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] },
  }),
);
const functionDefinitions = makeDefinitions(() => ({ type: 'function', name: 'record' }));
let matcherKind = 'bench-local (entity + events + compiled condition)';
function matcherFor(definitions) {
  if (typeof observers.createMatcher === 'function') {
    matcherKind = 'createMatcher';
    return observers.createMatcher(
      definitions.map((d) => ({ ...d, enabled: true, ordering: 'none', description: undefined })),
    );
  }
  const byEntity = new Map();
  for (const d of definitions) byEntity.set(d.entity, [...(byEntity.get(d.entity) ?? []), d]);
  return {
    match: (event) =>
      (byEntity.get(event.entityType) ?? []).filter(
        (d) => d.events.includes(event.eventType) && (d.compiledCondition?.evaluate(event) ?? true),
      ),
  };
}

function progress(line) {
  process.stderr.write(`${line}\n`);
}

// ---- phases ---------------------------------------------------------------------------------
function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function runPhase(name, makeHandler) {
  const handled = new Map(); // n -> time the handler saw it (baseline)
  const handler = makeHandler(handled);
  await openDatabase(name);
  const source = createChangeLogSource(db, { consumer: `bench-${name}`, pollInterval: 1000 });
  const runtime = createObserverRuntime({ sources: source, handler, concurrency: 64 });

  // Drain: a backlog written before the runtime starts.
  const drainStart = nextId + 1;
  for (let done = 0; done < DRAIN; done += 1000) await insertRows(Math.min(1000, DRAIN - done));
  const isDone =
    name !== 'webhooks'
      ? async (from, to) => {
          for (let n = from; n <= to; n += 1) if (!handled.has(n)) return false;
          return true;
        }
      : undefined;
  const expectedWebhooks = (from, to) => {
    let count = 0;
    for (let n = from; n <= to; n += 1) {
      const big = (n * 7919) % 1000 > 500;
      const vip = n % 10 === 0;
      count += (big ? 1 : 0) + (!big && !vip ? 1 : 0) + (vip ? 1 : 0);
    }
    return count;
  };
  let received = [];
  const waitAll = async (from, to) => {
    const deadline = Date.now() + 300_000;
    for (;;) {
      if (isDone !== undefined) {
        if (await isDone(from, to)) return;
      } else {
        received = received.concat(await arrivals());
        const want = expectedWebhooks(from, to);
        const got = received.filter((a) => a.n >= from && a.n <= to).length;
        if (got >= want) return;
      }
      if (Date.now() > deadline) throw new Error(`${name}: timed out`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  progress(`${name}: backlog of ${DRAIN} written`);
  const ticker = setInterval(() => {
    if (typeof handler.stats === 'function') progress(`  ${JSON.stringify(handler.stats())}`);
  }, 1000);
  const statements0 = observerStatements;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await runtime.start();
  await waitAll(drainStart, drainStart + DRAIN - 1);
  const drainSeconds = (performance.now() - t0) / 1000;
  const drainCpu = process.cpuUsage(cpu0);
  const drainStatements = observerStatements - statements0;
  progress(`${name}: drained in ${drainSeconds.toFixed(1)}s`);

  // Steady rate: RATE events/s, one row per INSERT, commit time taken when the INSERT returns.
  const committed = new Map();
  const total = RATE * SECONDS;
  const first = nextId + 1;
  const start = performance.now();
  const inserts = [];
  const cpu1 = process.cpuUsage();
  for (let i = 0; i < total; i += 1) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    nextId += 1;
    const n = nextId;
    const entity = ENTITIES[n % ENTITIES.length];
    inserts.push(
      writers
        .query(
          `INSERT INTO tb_${entity.toLowerCase()} (id, n, amount, tier, status)
         SELECT n, n, (n * 7919) % 1000, CASE WHEN n % 10 = 0 THEN 'vip' ELSE 'std' END, 'new'
           FROM (SELECT $1::bigint AS n) AS row`,
          [n],
        )
        .then(() => committed.set(n, now())),
    );
  }
  await Promise.all(inserts);
  const achievedRate = total / ((performance.now() - start) / 1000);
  await waitAll(first, first + total - 1);
  const rateCpu = process.cpuUsage(cpu1);
  progress(`${name}: ${total} events at ${achievedRate.toFixed(0)}/s handled`);
  clearInterval(ticker);
  await runtime.close();
  progress(`${name}: runtime closed`);
  await closeDatabase();

  let latencies;
  if (name !== 'webhooks') {
    latencies = [...committed].map(([n, at]) => handled.get(n) - at);
  } else {
    latencies = received.filter((a) => committed.has(a.n)).map((a) => a.at - committed.get(a.n));
  }
  latencies.sort((a, b) => a - b);
  return {
    name,
    drainEventsPerSecond: DRAIN / drainSeconds,
    drainCpuMicrosPerEvent: (drainCpu.user + drainCpu.system) / DRAIN,
    drainStatementsPerKiloEvent: (1000 * drainStatements) / DRAIN,
    rateCpuMicrosPerEvent: (rateCpu.user + rateCpu.system) / total,
    achievedRate,
    deliveries: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

// Matching and dispatch without network: the same 20 observers with a function action that
// records when it ran (about one call per event, like the webhooks below).
const fnRegistry = createActionRegistry();
let fnHandled;
fnRegistry.registerFunction('record', (event) => {
  const n = Number(event.data.n);
  if (!fnHandled.has(n)) fnHandled.set(n, now());
});
const fnExecutor = observers.createObserverExecutor({
  matcher: matcherFor(functionDefinitions),
  registry: fnRegistry,
  concurrency: 256,
});
// Source-only and dispatch alternate, so both see the same drift of the machine's load.
const rounds = [];
for (let round = 0; round < ROUNDS; round += 1) {
  const baseline = await runPhase('source-only', (handled) => async (event) => {
    handled.set(Number(event.data.n), now());
  });
  const dispatch = await runPhase('dispatch', (handled) => {
    fnHandled = handled;
    return fnExecutor;
  });
  rounds.push({ baseline, dispatch });
}
await fnExecutor.close();
await fnRegistry.close();

let full;
if (WEBHOOKS) {
  const registry = createActionRegistry();
  const executor = observers.createObserverExecutor({
    matcher: matcherFor(webhookDefinitions),
    registry,
    concurrency: 256,
  });
  full = await runPhase('webhooks', () => executor);
  await executor.close();
  await registry.close();
}

receiver.kill();
await admin.end();
progress('database dropped');

const fmt = (x, d = 1) => x.toFixed(d);
console.log(
  `matcher: ${matcherKind}; ${webhookDefinitions.length} observers; rate ${RATE}/s for ${SECONDS}s; drain ${DRAIN}; load average ${(
    await import('node:os')
  )
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(
  'phase        drain ev/s  cpu µs/ev (drain)  stmts/1k ev (drain)  cpu µs/ev (rate)  achieved/s  deliveries  p50 ms  p99 ms',
);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const { baseline } = rounds[0];
for (const r of [...rounds.flatMap((round) => [round.baseline, round.dispatch]), full]) {
  if (r === undefined) continue;
  console.log(
    `${r.name.padEnd(12)} ${fmt(r.drainEventsPerSecond, 0).padStart(10)}  ${fmt(r.drainCpuMicrosPerEvent).padStart(17)}  ${fmt(r.drainStatementsPerKiloEvent).padStart(19)}  ${fmt(r.rateCpuMicrosPerEvent).padStart(16)}  ${fmt(r.achievedRate, 0).padStart(10)}  ${String(r.deliveries).padStart(10)}  ${fmt(r.p50).padStart(6)}  ${fmt(r.p99).padStart(6)}`,
  );
}
const ratio = (pick) => median(rounds.map((round) => pick(round.dispatch) / pick(round.baseline)));
console.log(
  `dispatch/source-only, median of ${rounds.length} round(s): drain throughput ${fmt(
    ratio((r) => r.drainEventsPerSecond),
    2,
  )}x, ` +
    `cpu per event (drain) ${fmt(
      ratio((r) => r.drainCpuMicrosPerEvent),
      2,
    )}x, ` +
    `cpu per event (at rate) ${fmt(
      ratio((r) => r.rateCpuMicrosPerEvent),
      2,
    )}x, ` +
    `p50 ${fmt(
      ratio((r) => r.p50),
      2,
    )}x, p99 ${fmt(
      ratio((r) => r.p99),
      2,
    )}x`,
);
if (full !== undefined) {
  console.log(
    `webhooks/source-only (first round): drain throughput ${fmt(full.drainEventsPerSecond / baseline.drainEventsPerSecond, 2)}x, ` +
      `cpu per event (drain) ${fmt(full.drainCpuMicrosPerEvent / baseline.drainCpuMicrosPerEvent, 2)}x, ` +
      `p50 ${fmt(full.p50 / baseline.p50, 2)}x, p99 ${fmt(full.p99 / baseline.p99, 2)}x`,
  );
}
