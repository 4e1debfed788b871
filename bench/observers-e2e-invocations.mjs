/* global console, process, URL, fetch, setTimeout, performance */
// Cost of the invocation log on the end-to-end observers path: change-log source → runtime →
// executor with 20 observers (5 per entity over 4 captured tables, with conditions) → webhooks to
// a receiver in its own process, with the log off and on (every attempt recorded, written in
// batches to core.tb_observer_invocation in the same database). The two alternate in the same
// run, each on a fresh database with a backlog of DRAIN events; reported: drain throughput
// (events/s until every expected webhook arrived) and CPU of this process per event, medians
// of ROUNDS rounds, and on/off ratios.
//
//   pnpm exec tsc -b && node bench/observers-e2e-invocations.mjs [drain=3000] [rounds=5]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';

const require = createRequire(new URL('../packages/observers/package.json', import.meta.url));
const pg = require('pg');
const core = await import('../packages/core/dist/index.js');
const observers = await import('../packages/observers/dist/index.js');
const { webhookActionSchema } = await import('../packages/observers/dist/config/action-config.js');
const { compileCondition } =
  await import('../packages/observers/dist/conditions/compile-condition.js');

const DRAIN = Number(process.argv[2] ?? 3000);
const ROUNDS = Number(process.argv[3] ?? 5);
const ENTITIES = ['Order', 'Customer', 'Invoice', 'Shipment'];
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const receiver = spawn(
  process.execPath,
  [new URL('./observers-e2e-receiver.mjs', import.meta.url).pathname],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
process.on('exit', () => receiver.kill());
const [portLine] = await once(createInterface({ input: receiver.stdout }), 'line');
const receiverUrl = `http://127.0.0.1:${portLine.trim()}`;

const definitions = ENTITIES.flatMap((entity) =>
  [
    ['big', ['INSERT'], 'data.amount > 500'],
    ['small', ['INSERT'], 'data.amount <= 500 && data.tier != "vip"'],
    ['vip', ['INSERT'], 'data.tier == "vip"'],
    ['shipped', ['UPDATE'], 'field_changed_to("status", "shipped")'],
    ['gone', ['DELETE'], undefined],
  ].map(([suffix, events, condition]) => ({
    name: `${entity.toLowerCase()}-${suffix}`,
    entity,
    events,
    enabled: true,
    ordering: 'none',
    condition,
    compiledCondition: condition === undefined ? undefined : compileCondition(condition),
    actions: [
      webhookActionSchema.parse({
        type: 'webhook',
        url: `${receiverUrl}/${entity.toLowerCase()}-${suffix}`,
        allowHosts: ['127.0.0.1'],
      }),
    ],
    retry: { maxAttempts: 3, initialDelay: 100 },
    onFailure: 'log',
  })),
);
// Webhooks per row n: `big` and `small` split the rows, `vip` adds one for every tenth.
const webhooksOf = (n) => {
  const big = (n * 7919) % 1000 > 500;
  const vip = n % 10 === 0;
  return (big ? 1 : 0) + (!big && !vip ? 1 : 0) + (vip ? 1 : 0);
};

const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
let nextId = 0;

async function phase(mode, round) {
  const name = `fraiseql_bench_inv_${mode}_${round}_${process.pid}`;
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 10 });
  pool.on('error', () => undefined);
  const db = core.pgClient(pool, { ownsPool: true });
  await core.migrate(db, { sets: [core.coreMigrations, observers.observerMigrations] });
  for (const entity of ENTITIES) {
    const table = `tb_${entity.toLowerCase()}`;
    await db.exec(`CREATE TABLE ${table} (id bigint PRIMARY KEY, n bigint NOT NULL,
      amount integer NOT NULL, tier text NOT NULL, status text NOT NULL)`);
    await core.installCapture(db, { table, entityType: entity, idColumn: 'id' });
  }
  const first = nextId + 1;
  let expected = 0;
  for (let done = 0; done < DRAIN; done += 1000) {
    const byEntity = new Map(ENTITIES.map((e) => [e, []]));
    for (let i = 0; i < Math.min(1000, DRAIN - done); i += 1) {
      nextId += 1;
      expected += webhooksOf(nextId);
      byEntity.get(ENTITIES[nextId % ENTITIES.length]).push(nextId);
    }
    for (const [entity, ns] of byEntity) {
      await db.query(
        `INSERT INTO tb_${entity.toLowerCase()} (id, n, amount, tier, status)
         SELECT n, n, (n * 7919) % 1000, CASE WHEN n % 10 = 0 THEN 'vip' ELSE 'std' END, 'new'
           FROM unnest($1::bigint[]) AS n`,
        [ns],
      );
    }
  }
  await fetch(`${receiverUrl}/results`); // forget earlier arrivals

  const log = observers.createInvocationLog(db, { enabled: mode === 'on', pruneInterval: 0 });
  const registry = observers.createActionRegistry();
  const executor = observers.createObserverExecutor({
    matcher: observers.createMatcher(definitions),
    registry,
    concurrency: 256,
    ...(mode === 'on' ? { onAttempt: log.record } : {}),
  });
  const source = observers.createChangeLogSource(db, {
    consumer: `bench-${mode}`,
    pollInterval: 1000,
  });
  const runtime = observers.createObserverRuntime({
    sources: source,
    handler: executor,
    concurrency: 64,
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await runtime.start();
  let arrived = 0;
  const deadline = Date.now() + 300_000;
  while (arrived < expected) {
    if (Date.now() > deadline) throw new Error(`${mode}: timed out (${arrived}/${expected})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const batch = await (await fetch(`${receiverUrl}/results`)).json();
    arrived += batch.filter((a) => a.n >= first).length;
  }
  // With the log on, the run ends when its rows are written too.
  await log.flush();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await runtime.close();
  await executor.close();
  await log.close();
  const { rows } = await db.query('SELECT count(*)::int AS n FROM core.tb_observer_invocation');
  await registry.close();
  await db.close();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  const result = {
    mode,
    eventsPerSecond: DRAIN / seconds,
    cpuMicrosPerEvent: (cpu.user + cpu.system) / DRAIN,
    webhooks: expected,
    logged: rows[0].n,
    stats: log.stats(),
  };
  process.stderr.write(`round ${round} ${JSON.stringify(result)}\n`);
  return result;
}

const results = { off: [], on: [] };
const load0 = loadavg()[0];
for (let round = 1; round <= ROUNDS; round += 1) {
  // Alternate which goes first, so a trend in the machine's load hits both alike.
  const order = round % 2 === 1 ? ['off', 'on'] : ['on', 'off'];
  for (const mode of order) results[mode].push(await phase(mode, round));
}
receiver.kill();
await admin.end();

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const summary = Object.fromEntries(
  Object.entries(results).map(([mode, runs]) => [
    mode,
    {
      eventsPerSecond: median(runs.map((r) => r.eventsPerSecond)),
      cpuMicrosPerEvent: median(runs.map((r) => r.cpuMicrosPerEvent)),
      logged: runs.map((r) => r.logged),
      dropped: runs.map((r) => r.stats.droppedFull + r.stats.droppedFailed),
    },
  ]),
);
console.log(
  `drain ${DRAIN} events (${results.on[0].webhooks} webhooks) × ${ROUNDS} rounds; load average ${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)}`,
);
for (const mode of ['off', 'on']) {
  const s = summary[mode];
  console.log(
    `log ${mode.padEnd(3)}  drain ${s.eventsPerSecond.toFixed(0).padStart(6)} events/s  cpu ${s.cpuMicrosPerEvent.toFixed(1).padStart(7)} µs/event  rows logged ${s.logged.join(',')}  dropped ${s.dropped.join(',')}`,
  );
}
console.log(
  `on/off: throughput ${(summary.on.eventsPerSecond / summary.off.eventsPerSecond).toFixed(3)}x, cpu per event ${(summary.on.cpuMicrosPerEvent / summary.off.cpuMicrosPerEvent).toFixed(3)}x`,
);
console.log(
  `per-round throughput ratios on/off: ${results.on.map((r, i) => (r.eventsPerSecond / results.off[i].eventsPerSecond).toFixed(3)).join(', ')}`,
);
