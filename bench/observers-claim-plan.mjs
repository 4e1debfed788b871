/* global console, process, URL, performance */
// The change-log source's claim round at growing backlogs: for each size, a fresh database with
// SIZE pending change-log rows (no ANALYZE, no VACUUM: the plan must not depend on either), then
// ROUNDS claim rounds of 1000 rows from the front of the backlog, each followed by the
// settlement that finishes its batch, on one connection. Reports the claim statement's plan
// (EXPLAIN ANALYZE of the first round), its median time, the PostgreSQL backend's CPU per event
// (from /proc/<backend pid>/stat, claim + settle) and the claim tables' size afterwards.
//
//   pnpm exec tsc -b && node bench/observers-claim-plan.mjs
//   env: SIZES=10000,100000,1000000 ROUNDS=50 DATABASE_URL=postgres://…
import { createRequire } from 'node:module';
import { processCpuMs } from './proc-cpu.mjs';

const require = createRequire(new URL('../packages/observers/package.json', import.meta.url));
const pg = require('pg');
const core = await import('../packages/core/dist/index.js');
const queries = await import('../packages/observers/dist/sources/change-log/change-log-queries.js');
const { observerMigrations } =
  await import('../packages/observers/dist/migrations/observer-migrations.js');

const env = process.env;
const SIZES = (env.SIZES ?? '10000,100000,1000000').split(',').map(Number);
const ROUNDS = Number(env.ROUNDS ?? 50);
const serverUrl = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function planSummary(node, depth = 0, out = []) {
  const what = [node['Node Type'], node['Relation Name'], node['Index Name']]
    .filter(Boolean)
    .join(' ');
  out.push(
    `${'  '.repeat(depth)}${what} rows=${node['Actual Rows']} loops=${node['Actual Loops']}`,
  );
  for (const child of node.Plans ?? []) planSummary(child, depth + 1, out);
  return out;
}

async function measure(size) {
  const name = `fraiseql_bench_claim_${size}_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  pool.on('error', () => undefined);
  const db = core.pgClient(pool, { ownsPool: true });
  const client = new pg.Client({ connectionString: url.toString() });
  client.on('error', () => undefined);
  try {
    await core.migrate(db, { sets: [core.coreMigrations, observerMigrations] });
    const step = 100_000;
    for (let from = 1; from <= size; from += step) {
      await db.query(
        `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
         SELECT 'Order', g::text, 'INSERT', jsonb_build_object('n', g, 'status', 'new', 'amount', g % 1000)
         FROM generate_series($1::int, $2::int) g`,
        [from, Math.min(size, from + step - 1)],
      );
    }
    await client.connect();
    const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    await client.query(queries.REGISTER_CONSUMER, ['bench', 'beginning']);
    const params = ['bench', 1000, 'w', 30_000];
    // The claim is a function; explain its statement with the function's settings, rolled back.
    const body = (
      await client.query("SELECT prosrc FROM pg_proc WHERE proname = 'fn_observer_claim_batch'")
    ).rows[0].prosrc
      .replaceAll('p_consumer', '$1::text')
      .replaceAll('p_limit', '$2::int')
      .replaceAll('p_worker', '$3::text')
      .replaceAll('p_lease_ms', '$4::float8');
    await client.query('BEGIN');
    await client.query('SET LOCAL enable_bitmapscan = off');
    await client.query('SET LOCAL enable_seqscan = off');
    const explained = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${body}`, params);
    await client.query('ROLLBACK');
    const plan = explained.rows[0]['QUERY PLAN'][0];
    const times = [];
    let claimed = 0;
    const cpuBefore = processCpuMs(pid);
    for (let round = 0; round < ROUNDS; round += 1) {
      const t = performance.now();
      const result = await client.query(queries.CLAIM_BATCH, params);
      times.push(performance.now() - t);
      const batch = result.rows[0].batch;
      claimed += result.rows.length;
      await client.query(queries.SETTLE_DONE, ['bench', 'w', [batch], [''], []]);
    }
    const cpuMs = processCpuMs(pid) - cpuBefore;
    const tables = await client.query(
      `SELECT relname, n_live_tup, n_dead_tup, pg_relation_size(relid) AS bytes
       FROM pg_stat_user_tables WHERE relname IN ('tb_observer_claim', 'tb_observer_claim_batch')
       ORDER BY relname`,
    );
    times.sort((a, b) => a - b);
    return {
      pending: size,
      claimPlan: planSummary(plan.Plan),
      firstRoundExecutionMs: +plan['Execution Time'].toFixed(2),
      claimRoundMedianMs: +times[Math.floor(times.length / 2)].toFixed(2),
      postgresCpuUsPerEvent: +((cpuMs * 1000) / claimed).toFixed(1),
      eventsClaimed: claimed,
      claimTables: tables.rows.map((row) => ({
        table: row.relname,
        live: Number(row.n_live_tup),
        dead: Number(row.n_dead_tup),
        bytes: Number(row.bytes),
      })),
    };
  } finally {
    await client.end().catch(() => undefined);
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

for (const size of SIZES) console.log(JSON.stringify(await measure(size), null, 2));
