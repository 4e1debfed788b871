/* global console, process, URL, setTimeout, setInterval, clearInterval, performance */
// Scale-out of the change-log source: P worker processes sharing one consumer drain the same
// backlog of N events on one database (each delivery settled done at once, no handler work),
// for each P in PROCESSES. Every configuration gets a fresh consumer over the same rows; the
// processes start together and report their counts, and the run ends when their sum reaches N.
// Also reports the CPU the workers and the database's backends used per event, to show which
// resource bounds the curve on this machine.
//
//   pnpm exec tsc -b && node bench/observers-scale.mjs
//   env: N=200000 PROCESSES=1,2,4 ROUNDS=1 BATCH=1000 IN_FLIGHT=2000 DATABASE_URL=postgres://…
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { processCpuMs } from './proc-cpu.mjs';
import { createInterface } from 'node:readline';

const require = createRequire(new URL('../packages/observers/package.json', import.meta.url));
const pg = require('pg');
const env = process.env;

if (process.argv[2] === 'worker') {
  const core = await import('../packages/core/dist/index.js');
  const { createChangeLogSource } =
    await import('../packages/observers/dist/sources/change-log/change-log-source.js');
  const pool = new pg.Pool({ connectionString: env.URL, max: 4 });
  pool.on('error', () => undefined);
  const db = core.pgClient(pool, { ownsPool: true });
  const source = createChangeLogSource(db, {
    consumer: env.CONSUMER,
    batchSize: Number(env.BATCH ?? 1000),
    workerId: `w${process.pid}`,
  });
  let settled = 0;
  await source.start({
    maxInFlight: Number(env.IN_FLIGHT ?? 2000),
    onDelivery: (delivery) => {
      void delivery.settle({ status: 'done' }).then(() => {
        settled += 1;
      });
    },
  });
  process.stdout.write('ready\n');
  const report = setInterval(() => process.stdout.write(`count ${settled}\n`), 50);
  process.stdin.on('data', async () => {
    clearInterval(report);
    process.stdout.write(`count ${settled}\n`);
    await source.close();
    await db.close();
    const cpu = process.cpuUsage();
    process.stdout.write(`cpu ${cpu.user + cpu.system}\n`);
    process.exit(0);
  });
} else {
  const core = await import('../packages/core/dist/index.js');
  const { observerMigrations } =
    await import('../packages/observers/dist/migrations/observer-migrations.js');
  const N = Number(env.N ?? 200_000);
  const PROCESSES = (env.PROCESSES ?? '1,2,4').split(',').map(Number);
  const ROUNDS = Number(env.ROUNDS ?? 1);
  const serverUrl = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `fraiseql_bench_scale_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  pool.on('error', () => undefined);
  const db = core.pgClient(pool, { ownsPool: true });
  // CPU µs of a process so far; 0 once it is gone.
  const ticks = (pid) => (processCpuMs(pid) || 0) * 1000;
  try {
    await core.migrate(db, { sets: [core.coreMigrations, observerMigrations] });
    for (let from = 1; from <= N; from += 50_000) {
      await db.query(
        `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
         SELECT 'Order', g::text, 'INSERT', jsonb_build_object('n', g, 'status', 'new', 'amount', g % 1000)
         FROM generate_series($1::int, $2::int) g`,
        [from, Math.min(N, from + 49_999)],
      );
    }
    const results = [];
    let run = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const processes of PROCESSES) {
        run += 1;
        const consumer = `scale-${run}`;
        const children = [];
        const counts = [];
        for (let i = 0; i < processes; i += 1) {
          const child = spawn(process.execPath, [new URL(import.meta.url).pathname, 'worker'], {
            env: { ...env, URL: url.toString(), CONSUMER: consumer },
            stdio: ['pipe', 'pipe', 'inherit'],
          });
          const lines = createInterface({ input: child.stdout });
          const state = { ready: false, cpu: 0 };
          counts.push(0);
          lines.on('line', (line) => {
            if (line === 'ready') state.ready = true;
            else if (line.startsWith('count ')) counts[i] = Number(line.slice(6));
            else if (line.startsWith('cpu ')) state.cpu = Number(line.slice(4));
          });
          children.push({ child, state });
        }
        // Register the consumer before the clock starts, then wait until every worker is up.
        while (!children.every((c) => c.state.ready)) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const backends = async () =>
          (
            await db.query(
              `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
            )
          ).rows.map((row) => row.pid);
        // Workers claim as soon as they are ready: count from the first worker's start, which
        // is conservative (the head start of the earliest worker is included in the time).
        const pgBefore = new Map((await backends()).map((pid) => [pid, ticks(pid)]));
        const t = performance.now();
        while (counts.reduce((a, b) => a + b, 0) < N) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const seconds = (performance.now() - t) / 1000;
        // Backends opened during the run count in full.
        const pgCpu = (await backends()).reduce(
          (sum, pid) => sum + ticks(pid) - (pgBefore.get(pid) ?? 0),
          0,
        );
        for (const { child } of children) child.stdin.write('stop\n');
        await Promise.all(
          children.map(({ child }) => new Promise((resolve) => child.once('exit', resolve))),
        );
        const workerCpu = children.reduce((sum, c) => sum + c.state.cpu, 0);
        results.push({
          processes,
          eventsPerSecond: Math.round(N / seconds),
          perProcess: counts,
          workerCpuUsPerEvent: +(workerCpu / N).toFixed(1),
          postgresCpuUsPerEvent: +(pgCpu / N).toFixed(1),
        });
        console.error(JSON.stringify(results.at(-1)));
      }
    }
    const median = (p) => {
      const rates = results
        .filter((r) => r.processes === p)
        .map((r) => r.eventsPerSecond)
        .sort((a, b) => a - b);
      return rates[Math.floor(rates.length / 2)];
    };
    const one = median(PROCESSES[0]);
    console.log(
      JSON.stringify(
        {
          events: N,
          rounds: ROUNDS,
          curve: PROCESSES.map((p) => ({
            processes: p,
            eventsPerSecond: median(p),
            ratio: +(median(p) / one).toFixed(2),
          })),
          runs: results,
        },
        null,
        2,
      ),
    );
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
