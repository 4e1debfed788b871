/* global console, process, URL */
// Cost of the statement-level capture trigger (core.fn_capture_change) against baselines measured
// in the same run on the same tables: the same statements without any trigger, and a classic
// row-level PL/pgSQL trigger writing the same change-log rows one INSERT per row. Uses its own
// database on the server at DATABASE_URL (default: the local loopback server), dropped at the end.
//
//   pnpm exec tsc -b && node bench/core-capture.mjs [rows]   (default rows: 10000)
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(new URL('../packages/core/package.json', import.meta.url));
const pg = require('pg');
const { installCapture, migrate, pgClient, uninstallCapture } =
  await import('../packages/core/dist/index.js');

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROWS = Number(process.argv[2] ?? 10_000);
const BULK_RUNS = 5;
const SINGLE_RUNS = 300;

// The classic alternative: one trigger call and one INSERT per row, with the same columns.
const ROW_LEVEL = `
CREATE FUNCTION bench_row_capture() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_fields text[];
BEGIN
  IF TG_OP = 'UPDATE' THEN
    SELECT array_agg(e.key ORDER BY e.key) INTO v_fields
      FROM jsonb_each(to_jsonb(NEW)) e WHERE e.value IS DISTINCT FROM to_jsonb(OLD) -> e.key;
    IF v_fields IS NULL THEN RETURN NULL; END IF;
  END IF;
  INSERT INTO core.tb_entity_change_log (tenant_id, object_type, object_id, modification_type,
      change_status, object_data, object_data_before, updated_fields, extra_metadata)
  VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.tenant ELSE NEW.tenant END, 'Order',
      CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END::text, TG_OP, 'captured',
      CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END,
      CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END, v_fields,
      jsonb_build_object('source_table', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME));
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
  max: 2,
  options: '-c synchronous_commit=off',
});
pool.on('error', () => undefined);
const db = pgClient(pool, { ownsPool: true });

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timed(sql) {
  const start = performance.now();
  await db.query(sql);
  return performance.now() - start;
}

async function setup(mode) {
  await db.exec(`
    DROP TABLE IF EXISTS tb_order;
    CREATE TABLE tb_order (id integer PRIMARY KEY, status text NOT NULL, total numeric NOT NULL,
                           tenant text, note text);
    TRUNCATE core.tb_entity_change_log;`);
  if (mode === 'statement') {
    await installCapture(db, {
      table: 'tb_order',
      entityType: 'Order',
      idColumn: 'id',
      tenantColumn: 'tenant',
    });
  } else if (mode === 'row') {
    await db.exec(`CREATE TRIGGER bench_row AFTER INSERT OR UPDATE OR DELETE ON tb_order
                   FOR EACH ROW EXECUTE FUNCTION bench_row_capture()`);
  }
}

async function measure(mode) {
  const bulk = { insert: [], update: [], delete: [] };
  for (let run = 0; run < BULK_RUNS; run += 1) {
    await setup(mode);
    bulk.insert.push(
      await timed(
        `INSERT INTO tb_order SELECT g, 'new', g, 'acme', 'n' FROM generate_series(1, ${ROWS}) g`,
      ),
    );
    await db.exec('VACUUM ANALYZE tb_order');
    bulk.update.push(await timed(`UPDATE tb_order SET status = 'paid'`));
    bulk.delete.push(await timed(`DELETE FROM tb_order`));
  }
  await setup(mode);
  await db.query(
    `INSERT INTO tb_order SELECT g, 'new', g, 'acme', 'n' FROM generate_series(1, 1000) g`,
  );
  const single = [];
  for (let run = 0; run < SINGLE_RUNS; run += 1) {
    const start = performance.now();
    await db.query(`UPDATE tb_order SET total = total + 1 WHERE id = $1`, [(run % 1000) + 1]);
    single.push(performance.now() - start);
  }
  const logged = await db.query('SELECT count(*)::int AS n FROM core.tb_entity_change_log');
  // Every variant must have written the same rows: 1000 inserts and one row per single UPDATE.
  const expected = mode === 'none' ? 0 : 1000 + SINGLE_RUNS;
  if (logged.rows[0].n !== expected) {
    throw new Error(`${mode}: expected ${expected} change-log rows, found ${logged.rows[0].n}`);
  }
  if (mode === 'statement') await uninstallCapture(db, 'tb_order');
  return {
    insert: median(bulk.insert),
    update: median(bulk.update),
    delete: median(bulk.delete),
    single: median(single),
  };
}

try {
  await migrate(db);
  await db.exec(ROW_LEVEL);
  const none = await measure('none');
  const statement = await measure('statement');
  const row = await measure('row');
  const fmt = (ms) => `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
  const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
  console.log(
    `PostgreSQL ${(await db.query('SHOW server_version')).rows[0].server_version}, ${ROWS} rows, medians of ${BULK_RUNS} (bulk) and ${SINGLE_RUNS} (single-row UPDATE)`,
  );
  console.log(
    '| statement | no trigger | statement-level capture | row-level trigger | capture / none | row-level / capture |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const [label, key] of [
    [`INSERT ${ROWS} rows`, 'insert'],
    [`UPDATE ${ROWS} rows`, 'update'],
    [`DELETE ${ROWS} rows`, 'delete'],
    ['UPDATE 1 row', 'single'],
  ]) {
    console.log(
      `| ${label} | ${fmt(none[key])} | ${fmt(statement[key])} | ${fmt(row[key])} | ${ratio(statement[key], none[key])} | ${ratio(row[key], statement[key])} |`,
    );
  }
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await db.close();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
