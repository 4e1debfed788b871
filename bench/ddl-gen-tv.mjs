/* global console, process, URL */
// Cost of keeping a tv_ projection fresh with the generated triggers, against baselines measured
// in the same run: the same UPDATE without triggers, a full rebuild, and REFRESH MATERIALIZED
// VIEW of an equivalent view. Uses its own database on the server at DATABASE_URL (default: the
// local loopback server) and drops it at the end.
//
//   pnpm exec tsc -b && node bench/ddl-gen-tv.mjs [sizes...]   (default sizes: 1000 10000 100000)
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(new URL('../packages/ddl-gen/package.json', import.meta.url));
const pg = require('pg');
const { pgClient } = await import('../packages/core/dist/index.js');
const { loadSchema, planProjection, generateTvDdl } =
  await import('../packages/ddl-gen/dist/index.js');

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const sizes = process.argv.slice(2).map(Number);
if (sizes.length === 0) sizes.push(1_000, 10_000, 100_000);
const UPDATES = 300;

const SCHEMA = `
CREATE TABLE tb_user (
  pk_user bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
  name text NOT NULL,
  email text NOT NULL
);
CREATE TABLE tb_post (
  pk_post bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
  fk_user bigint NOT NULL REFERENCES tb_user (pk_user),
  title text NOT NULL,
  views integer NOT NULL DEFAULT 0
);
CREATE INDEX ON tb_post (fk_user);
CREATE VIEW v_user AS
SELECT u.id, jsonb_build_object(
  'id', u.id, 'name', u.name, 'email', u.email,
  'posts', coalesce((SELECT jsonb_agg(jsonb_build_object('id', p.id, 'title', p.title, 'views', p.views) ORDER BY p.pk_post)
                     FROM tb_post p WHERE p.fk_user = u.pk_user), '[]'::jsonb)
) AS data
FROM tb_user u;`;

const schemaJson = loadSchema({
  types: [
    {
      name: 'User',
      fields: [
        { name: 'id', type: 'ID' },
        { name: 'name', type: 'String' },
        { name: 'email', type: 'String' },
        { name: 'posts', type: '[Post]' },
      ],
    },
    { name: 'Post', fields: [{ name: 'title', type: 'String' }] },
  ],
  queries: [{ name: 'users', return_type: 'User', returns_list: true, sql_source: 'v_user' }],
});

async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

async function singleRowUpdates(client, users) {
  const times = [];
  for (let i = 0; i < UPDATES; i++) {
    const pk = 1 + ((i * 7919) % (users * 2));
    times.push(
      await timed(() =>
        client.query('UPDATE tb_post SET views = views + 1 WHERE pk_post = $1', [pk]),
      ),
    );
  }
  return median(times);
}

const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
const rows = [];
for (const users of sizes) {
  const name = `fraiseql_bench_${process.pid}_${users}`;
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  pool.on('error', () => undefined);
  const db = pgClient(pool);
  try {
    await db.exec(SCHEMA);
    await db.query(
      `INSERT INTO tb_user (name, email) SELECT 'user ' || g, 'u' || g || '@example.com' FROM generate_series(1, $1::int) g`,
      [users],
    );
    await db.exec(
      `INSERT INTO tb_post (fk_user, title) SELECT pk_user, 'post ' || k FROM tb_user, generate_series(1, 2) k`,
    );
    await db.exec('VACUUM ANALYZE');
    const client = await pool.connect();
    // WAL flushes at commit dominate a one-row transaction and vary with the disk: measure the
    // work the statement does, the same way for the baseline and for the triggers.
    await client.query('SET synchronous_commit = off');
    await singleRowUpdates(client, users); // warm-up
    const plain = await singleRowUpdates(client, users);

    const plan = await planProjection(schemaJson, 'User', { db });
    const fill = await timed(() => db.exec(generateTvDdl(plan).sql));
    await db.exec('VACUUM ANALYZE tv_user');
    await singleRowUpdates(client, users); // warm-up
    const withTv = await singleRowUpdates(client, users);

    const row = { users, plain, withTv, fill };
    // A 1% batch (one statement) against a full rebuild; the rebuild is timed in sync (it
    // recomputes and compares every document) and from empty.
    // Medians of 5 batches (different 1% slices) and of 3 in-sync rebuilds.
    const batches = [];
    for (let k = 1; k <= 5; k++) {
      batches.push(
        await timed(() =>
          client.query('UPDATE tb_post SET views = views + 1 WHERE pk_post % 200 = $1', [k]),
        ),
      );
    }
    const batch = median(batches);
    const rebuilds = [];
    for (let k = 0; k < 3; k++) {
      rebuilds.push(await timed(() => client.query('SELECT rebuild_tv_user()')));
    }
    const rebuildInSync = median(rebuilds);
    await client.query('TRUNCATE tv_user');
    const rebuildEmpty = await timed(() => client.query('SELECT rebuild_tv_user()'));
    Object.assign(row, { batch, rebuildInSync, rebuildEmpty });

    // The same single-row change kept fresh by REFRESH MATERIALIZED VIEW instead.
    await db.exec(
      'CREATE MATERIALIZED VIEW mv_user AS SELECT id, data FROM v_user; CREATE UNIQUE INDEX ON mv_user (id);',
    );
    const refreshTimes = [];
    const refreshConcurrentlyTimes = [];
    for (let i = 0; i < 3; i++) {
      refreshTimes.push(await timed(() => client.query('REFRESH MATERIALIZED VIEW mv_user')));
      refreshConcurrentlyTimes.push(
        await timed(() => client.query('REFRESH MATERIALIZED VIEW CONCURRENTLY mv_user')),
      );
    }
    Object.assign(row, {
      refreshMv: plain + median(refreshTimes),
      refreshMvConcurrently: plain + median(refreshConcurrentlyTimes),
    });
    client.release();
    rows.push(row);
  } finally {
    await db.close();
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}
await admin.end();

const ms = (value) => `${value.toFixed(2)} ms`;
const ratio = (value) => `${value.toFixed(1)}×`;
console.log(
  `single-row UPDATE of tb_post (median of ${UPDATES}, synchronous_commit off); users have 2 posts each\n`,
);
console.log('| users | no triggers | with tv_ triggers | overhead | initial fill |');
console.log('|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.users} | ${ms(r.plain)} | ${ms(r.withTv)} | ${ratio(r.withTv / r.plain)} | ${ms(r.fill)} |`,
  );
}
console.log('\n1% batch UPDATE (one statement) vs full rebuild\n');
console.log(
  '| users | 1% batch with triggers | rebuild (in sync) | rebuild (from empty) | rebuild / batch |',
);
console.log('|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const smaller = Math.min(r.rebuildInSync, r.rebuildEmpty);
  console.log(
    `| ${r.users} | ${ms(r.batch)} | ${ms(r.rebuildInSync)} | ${ms(r.rebuildEmpty)} | ${ratio(smaller / r.batch)} |`,
  );
}
console.log(
  '\nsingle-row change made visible: tv_ triggers vs UPDATE + REFRESH MATERIALIZED VIEW\n',
);
console.log('| users | tv_ triggers | + REFRESH MV | ratio | + REFRESH MV CONCURRENTLY | ratio |');
console.log('|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.users} | ${ms(r.withTv)} | ${ms(r.refreshMv)} | ${ratio(r.refreshMv / r.withTv)} | ${ms(r.refreshMvConcurrently)} | ${ratio(r.refreshMvConcurrently / r.withTv)} |`,
  );
}
