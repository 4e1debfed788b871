/* global console, process, URL */
// Cost of core's capture triggers against baselines measured in the same run, on the same table:
//
//   none     the statements without any trigger;
//   empty    statement-level triggers with transition tables whose function does nothing: the
//            cost of the trigger machinery alone;
//   bare     a hand-written statement-level trigger for this table (static SQL over the
//            transition tables, no settings, no SECURITY DEFINER) that writes the same rows into
//            the same change log: the floor for a trigger that writes an outbox;
//   generic  core.fn_capture_change(), the generic function installCapture used before
//            migration 0004 (still shipped for tables captured by earlier versions);
//   capture  what installCapture installs now: the table's generated function.
//
// Every round sets each variant up afresh (in a rotating order, so the machine's noise spreads
// over all of them) and runs: 1000 single-row autocommit INSERTs, 1000 single-row UPDATEs, 10
// INSERT … SELECT of 1000 rows, and 3 UPDATEs of all 10,000 rows of a table. Figures are medians
// over the rounds, ratios are medians of each round's ratio (throughput of the variant /
// throughput of the baseline, so 1.00× is free), from the server process's CPU time per
// statement (read from /proc, so the server must run on this host) and, second, from the wall
// clock as the client sees it. The script checks that every capturing variant
// wrote the same change-log rows. Uses its own database on the server at DATABASE_URL (default:
// the local loopback server), dropped at the end.
//
//   pnpm exec tsc -b && node bench/core-capture.mjs [rounds]   (default rounds: 7; SINGLE=1000 statements)
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { processCpuMs } from './proc-cpu.mjs';

const require = createRequire(new URL('../packages/core/package.json', import.meta.url));
const pg = require('pg');
const { installCapture, migrate, pgClient } = await import('../packages/core/dist/index.js');

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROUNDS = Number(process.argv[2] ?? 7);
const SINGLE = Number(process.env.SINGLE ?? 1000);
const BULK_INSERTS = 10;
const BULK_ROWS = 1000;
const BIG_UPDATES = 3;
const BIG_ROWS = 10_000;
const MODES = ['none', 'empty', 'bare', 'generic', 'capture'];

// The baseline trigger: what one would write by hand for this table, producing the same rows
// (updated_fields and the changed fields' old values for UPDATE, unchanged rows skipped). Its
// inserts wake readers through the change log's own NOTIFY trigger (once per transaction).
const BARE = `
CREATE FUNCTION bench_bare_capture() RETURNS trigger LANGUAGE plpgsql
  -- Without these a cached plan from a one-row statement pairs 10,000 rows in a nested loop.
  SET enable_nestloop = off SET jit = off AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO core.tb_entity_change_log (tenant_id, object_type, object_id, modification_type,
        change_status, object_data, extra_metadata)
    SELECT n.tenant, 'Order', n.id::text, 'INSERT', 'captured', to_jsonb(n.*),
           '{"source_table": "public.tb_order"}'
      FROM bench_new n;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO core.tb_entity_change_log (tenant_id, object_type, object_id, modification_type,
        change_status, object_data, object_data_before, updated_fields, extra_metadata)
    SELECT n.tenant, 'Order', n.id::text, 'UPDATE', 'captured', to_jsonb(n.*),
           to_jsonb(o.*) - ARRAY[CASE WHEN o.id = n.id THEN 'id' END,
                                 CASE WHEN o.note IS NOT DISTINCT FROM n.note THEN 'note' END,
                                 CASE WHEN o.status IS NOT DISTINCT FROM n.status THEN 'status' END,
                                 CASE WHEN o.tenant IS NOT DISTINCT FROM n.tenant THEN 'tenant' END,
                                 CASE WHEN o.total IS NOT DISTINCT FROM n.total THEN 'total' END],
           array_remove(ARRAY[CASE WHEN o.note IS DISTINCT FROM n.note THEN 'note' END,
                              CASE WHEN o.status IS DISTINCT FROM n.status THEN 'status' END,
                              CASE WHEN o.tenant IS DISTINCT FROM n.tenant THEN 'tenant' END,
                              CASE WHEN o.total IS DISTINCT FROM n.total THEN 'total' END], NULL),
           '{"source_table": "public.tb_order"}'
      FROM bench_old o JOIN bench_new n ON n.id = o.id
     WHERE (o.note, o.status, o.tenant, o.total) IS DISTINCT FROM (n.note, n.status, n.tenant, n.total);
  END IF;
  RETURN NULL;
END $$;`;

const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
const name = `fraiseql_bench_capture_${process.pid}`;
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(serverUrl);
url.pathname = `/${name}`;
// synchronous_commit off, so the WAL flush (the same for every variant) does not hide the work.
const pool = new pg.Pool({
  connectionString: url.toString(),
  max: 1,
  options: '-c synchronous_commit=off',
});
pool.on('error', () => undefined);
const db = pgClient(pool, { ownsPool: true });

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function setup(mode, rows) {
  await db.exec(`
    DROP TABLE IF EXISTS tb_order;
    CREATE TABLE tb_order (id integer PRIMARY KEY, status text NOT NULL, total numeric NOT NULL,
                           tenant text, note text);
    INSERT INTO tb_order SELECT g, 'new', g, 'acme', 'n' FROM generate_series(1, ${rows}) g;
    TRUNCATE core.tb_entity_change_log;`);
  await db.query('VACUUM ANALYZE tb_order');
  if (mode === 'capture') {
    await installCapture(db, { table: 'tb_order', entityType: 'Order', tenantColumn: 'tenant' });
  } else if (mode === 'generic') {
    const call = `FOR EACH STATEMENT EXECUTE FUNCTION core.fn_capture_change('Order', 'id', 'tenant', '', 'false', 'true')`;
    await db.exec(`
      CREATE TRIGGER g_insert AFTER INSERT ON tb_order REFERENCING NEW TABLE AS fraiseql_new ${call};
      CREATE TRIGGER g_update AFTER UPDATE ON tb_order REFERENCING OLD TABLE AS fraiseql_old NEW TABLE AS fraiseql_new ${call};`);
  } else if (mode === 'empty') {
    await db.exec(`
      CREATE TRIGGER e_insert AFTER INSERT ON tb_order REFERENCING NEW TABLE AS bench_new
        FOR EACH STATEMENT EXECUTE FUNCTION bench_empty_trigger();
      CREATE TRIGGER e_update AFTER UPDATE ON tb_order REFERENCING OLD TABLE AS bench_old NEW TABLE AS bench_new
        FOR EACH STATEMENT EXECUTE FUNCTION bench_empty_trigger();`);
  } else if (mode === 'bare') {
    await db.exec(`
      CREATE TRIGGER b_insert AFTER INSERT ON tb_order REFERENCING NEW TABLE AS bench_new
        FOR EACH STATEMENT EXECUTE FUNCTION bench_bare_capture();
      CREATE TRIGGER b_update AFTER UPDATE ON tb_order REFERENCING OLD TABLE AS bench_old NEW TABLE AS bench_new
        FOR EACH STATEMENT EXECUTE FUNCTION bench_bare_capture();`);
  }
  // Warm the session's plan caches the same way for every variant.
  await db.query(`UPDATE tb_order SET total = total + 0 WHERE id = 1`);
}

// CPU time of the server process running the statements (and their triggers), from /proc: on a
// shared, loaded machine it moves far less than wall-clock time. Needs the server on this host.
let backendPid;
function backendCpuMs() {
  return processCpuMs(backendPid);
}

async function each(count, sql, args) {
  backendPid = (await db.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const cpu = backendCpuMs();
  const start = performance.now();
  for (let i = 0; i < count; i += 1) await db.query(sql, args(i));
  return { wall: (performance.now() - start) / count, cpu: (backendCpuMs() - cpu) / count };
}

/** Change-log rows as comparable text (sequence, id, times left out). */
async function written() {
  const result = await db.query(
    `SELECT md5(string_agg(r, ',' ORDER BY r)) AS digest, count(*)::int AS n
       FROM (SELECT json_build_array(tenant_id, object_type, object_id, modification_type,
                                     change_status, object_data, object_data_before,
                                     updated_fields, extra_metadata)::text AS r
               FROM core.tb_entity_change_log) rows`,
  );
  return result.rows[0];
}

async function measure(mode) {
  const out = {};
  await setup(mode, 1000);
  out.insert1 = await each(
    SINGLE,
    `INSERT INTO tb_order VALUES ($1::int, 'new', $1::int, 'acme', 'n')`,
    (i) => [100_000 + i],
  );
  out.update1 = await each(SINGLE, `UPDATE tb_order SET total = total + 1 WHERE id = $1`, (i) => [
    (i % 1000) + 1,
  ]);
  out.insert1000 = await each(
    BULK_INSERTS,
    `INSERT INTO tb_order SELECT g, 'new', g, 'acme', 'n' FROM generate_series($1::int, $1::int + ${BULK_ROWS - 1}) g`,
    (i) => [200_000 + i * BULK_ROWS],
  );
  const small = await written();
  await setup(mode, BIG_ROWS);
  out.update10000 = await each(BIG_UPDATES, `UPDATE tb_order SET status = $1`, (i) => [
    `status-${i}`,
  ]);
  const big = await written();
  return { times: out, digest: `${small.digest}/${big.digest}`, rows: small.n + big.n };
}

try {
  await migrate(db);
  await db.exec(BARE);
  await db.exec(
    `CREATE FUNCTION bench_empty_trigger() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`,
  );
  const results = Object.fromEntries(MODES.map((mode) => [mode, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = MODES.map((_, i) => MODES[(i + round) % MODES.length]);
    for (const mode of order) results[mode].push(await measure(mode));
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }
  // Every capturing variant must have written the same change-log rows.
  const reference = results.bare[0];
  for (const mode of ['bare', 'generic', 'capture']) {
    for (const run of results[mode]) {
      if (run.digest !== reference.digest || run.rows !== reference.rows) {
        throw new Error(
          `${mode} wrote other change-log rows than bare (${run.rows} vs ${reference.rows})`,
        );
      }
    }
  }
  const statements = [
    ['single-row INSERT', 'insert1', 'none'],
    ['single-row UPDATE', 'update1', 'none'],
    [`${BULK_ROWS}-row INSERT`, 'insert1000', 'bare'],
    [`${BIG_ROWS.toLocaleString('en')}-row UPDATE`, 'update10000', 'bare'],
  ];
  const ms = (value) => `${value.toFixed(value < 10 ? 3 : 1)} ms`;
  const ratio = (mode, baseline, key, metric) =>
    median(
      results[mode].map(
        (run, i) => results[baseline][i].times[key][metric] / run.times[key][metric],
      ),
    );
  const version = (await db.query('SHOW server_version')).rows[0].server_version;
  console.log(
    `PostgreSQL ${version}; medians of ${ROUNDS} rounds; ${reference.rows} change-log rows per capturing variant and round, identical for all three`,
  );
  for (const metric of ['cpu', 'wall']) {
    console.log(
      metric === 'cpu'
        ? '\nServer CPU time per statement (the server process, triggers included)\n'
        : '\nWall-clock time per statement, as the client sees it\n',
    );
    console.log(
      '| statement | none | empty trigger | bare trigger | generic (before) | capture (now) | empty / none | bare / none | capture / none | capture / bare | generic / bare | target |',
    );
    console.log(
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const [label, key, baseline] of statements) {
      const t = (mode) => ms(median(results[mode].map((run) => run.times[key][metric])));
      const floor = baseline === 'none' ? 0.85 : 0.9;
      const measured = ratio('capture', baseline, key, metric);
      console.log(
        `| ${label} | ${t('none')} | ${t('empty')} | ${t('bare')} | ${t('generic')} | ${t('capture')} | ${ratio('empty', 'none', key, metric).toFixed(2)}× | ${ratio('bare', 'none', key, metric).toFixed(2)}× | ${ratio('capture', 'none', key, metric).toFixed(2)}× | ${ratio('capture', 'bare', key, metric).toFixed(2)}× | ${ratio('generic', 'bare', key, metric).toFixed(2)}× | ≥ ${floor.toFixed(2)}× of ${baseline}: ${measured >= floor ? 'met' : 'not met'} |`,
      );
    }
  }
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await db.close();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
