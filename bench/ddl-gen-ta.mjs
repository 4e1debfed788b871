/* global console, process, URL */
// Cost of the ta_ refresh against the tv_ refresh of the same documents, in the same run: an
// order view with nested lines and products (three subqueries per document), and the ~300 orders
// that contain one product, refreshed after that product's price changed. The ta_ refresh
// computes the same documents as the tv_ one and then extracts typed columns from them, so its
// cost should stay close to the tv_ refresh's; "documents alone" is the SELECT of those documents
// from v_order. Also prints how many subqueries EXPLAIN shows for v_order and va_order.
// Uses its own databases on the server at DATABASE_URL (default: the local loopback server),
// dropped at the end.
//
//   pnpm exec tsc -b && node bench/ddl-gen-ta.mjs [orders] [rounds]   (defaults: 10000 15)
//
// BASELINE_DIST=<dir> also runs the generators of another build of @fraiseql/ddl-gen's dist (an
// older version) on a second database, alternating rounds with this build. PLANS=1 prints each
// build's EXPLAIN of va_order.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const require = createRequire(new URL('../packages/ddl-gen/package.json', import.meta.url));
const pg = require('pg');
const { pgClient } = await import('../packages/core/dist/index.js');

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ORDERS = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 15);
const PRODUCTS = 100;
const LINES = 3;

const SCHEMA = `
CREATE TABLE tb_customer (
  pk_customer bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
  name text NOT NULL
);
CREATE TABLE tb_product (
  pk_product bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
  name text NOT NULL,
  price numeric(12, 2) NOT NULL
);
CREATE TABLE tb_order (
  pk_order bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
  fk_customer bigint NOT NULL REFERENCES tb_customer (pk_customer),
  status text NOT NULL,
  placed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE tb_order_line (
  pk_order_line bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  fk_order bigint NOT NULL REFERENCES tb_order (pk_order),
  fk_product bigint NOT NULL REFERENCES tb_product (pk_product),
  quantity integer NOT NULL
);
CREATE INDEX ON tb_order (fk_customer);
CREATE INDEX ON tb_order_line (fk_order);
CREATE INDEX ON tb_order_line (fk_product);
CREATE VIEW v_order AS
SELECT o.id, jsonb_build_object(
  'id', o.id,
  'status', o.status,
  'placedAt', o.placed_at,
  'customer', jsonb_build_object('id', c.id, 'name', c.name),
  'lines', coalesce((
    SELECT jsonb_agg(jsonb_build_object('product', jsonb_build_object('id', p.id, 'name', p.name, 'price', p.price),
                                        'quantity', l.quantity, 'lineTotal', l.quantity * p.price)
                     ORDER BY l.pk_order_line)
    FROM tb_order_line l JOIN tb_product p ON p.pk_product = l.fk_product
    WHERE l.fk_order = o.pk_order), '[]'::jsonb),
  'total', (SELECT coalesce(sum(l.quantity * p.price), 0)
            FROM tb_order_line l JOIN tb_product p ON p.pk_product = l.fk_product
            WHERE l.fk_order = o.pk_order),
  'lineCount', (SELECT count(*) FROM tb_order_line l WHERE l.fk_order = o.pk_order)
) AS data
FROM tb_order o JOIN tb_customer c ON c.pk_customer = o.fk_customer;
INSERT INTO tb_customer (name) SELECT 'customer ' || g FROM generate_series(1, ${Math.ceil(ORDERS / 10)}) g;
INSERT INTO tb_product (name, price) SELECT 'product ' || g, 1 + g FROM generate_series(1, ${PRODUCTS}) g;
INSERT INTO tb_order (fk_customer, status)
  SELECT 1 + g % ${Math.ceil(ORDERS / 10)}, 'new' FROM generate_series(1, ${ORDERS}) g;
INSERT INTO tb_order_line (fk_order, fk_product, quantity)
  SELECT o, 1 + (o * 7 + k * 13) % ${PRODUCTS}, 1 + k FROM generate_series(1, ${ORDERS}) o, generate_series(1, ${LINES}) k;`;

const SCHEMA_JSON = {
  types: [
    {
      name: 'Order',
      fields: [
        { name: 'id', type: 'UUID' },
        { name: 'status', type: 'String' },
        { name: 'placedAt', type: 'DateTime' },
        { name: 'customer', type: 'Customer' },
        { name: 'lines', type: '[OrderLine]' },
        { name: 'total', type: 'Decimal' },
        { name: 'lineCount', type: 'Int' },
      ],
    },
    { name: 'Customer', fields: [{ name: 'name', type: 'String' }] },
    { name: 'OrderLine', fields: [{ name: 'quantity', type: 'Int' }] },
  ],
  queries: [{ name: 'orders', return_type: 'Order', returns_list: true, sql_source: 'v_order' }],
};

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const builds = [
  { label: 'this build', dir: new URL('../packages/ddl-gen/dist/', import.meta.url) },
];
if (process.env.BASELINE_DIST !== undefined) {
  builds.unshift({
    label: 'baseline',
    dir: pathToFileURL(`${resolve(process.env.BASELINE_DIST)}/`),
  });
}

const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
const databases = [];

async function open(build, index) {
  const name = `fraiseql_bench_ta_${process.pid}_${index}`;
  await admin.query(`CREATE DATABASE ${name}`);
  databases.push(name);
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
  const gen = await import(new URL('index.js', build.dir).href);
  await db.exec(SCHEMA);
  await db.exec('VACUUM ANALYZE');
  const plan = await gen.planProjection(gen.loadSchema(SCHEMA_JSON), 'Order', { db });
  await db.exec(gen.generateVaDdl(plan).sql);
  await db.exec(gen.generateTvDdl(plan).sql);
  await db.exec(gen.generateTaDdl(plan, { refresh: 'trigger' }).sql);
  // Price changes below only change the data; the refresh functions are timed on their own.
  await db.exec('ALTER TABLE tb_product DISABLE TRIGGER USER');
  const ids = (
    await db.query(
      'SELECT DISTINCT o.id FROM tb_order o JOIN tb_order_line l ON l.fk_order = o.pk_order WHERE l.fk_product = 1',
    )
  ).rows.map((row) => row.id);
  const scans = async (query) =>
    (await db.query(`EXPLAIN ${query}`)).rows.filter((row) =>
      /(SubPlan|InitPlan) \d+/.test(row['QUERY PLAN']),
    ).length;
  if (process.env.PLANS === '1') {
    const plan = await db.query('EXPLAIN (COSTS OFF) SELECT * FROM va_order');
    console.log(`${build.label}: EXPLAIN (COSTS OFF) SELECT * FROM va_order`);
    console.log(plan.rows.map((row) => row['QUERY PLAN']).join('\n'));
  }
  return {
    ...build,
    db,
    ids,
    scans: { v: await scans('SELECT * FROM v_order'), va: await scans('SELECT * FROM va_order') },
    times: { documents: [], tv: [], ta: [] },
  };
}

async function timed(db, sql, params) {
  const start = performance.now();
  await db.query(sql, params);
  return performance.now() - start;
}

async function round(side, index) {
  const { db, ids, times } = side;
  await db.query('UPDATE tb_product SET price = price + 1 WHERE pk_product = 1');
  times.documents.push(
    await timed(db, 'SELECT count(v.data) FROM v_order v WHERE v.id = ANY ($1::uuid[])', [ids]),
  );
  // Alternate which refresh goes first; each rewrites the ~300 documents the price changed.
  const order = index % 2 === 0 ? ['tv', 'ta'] : ['ta', 'tv'];
  for (const kind of order) {
    times[kind].push(await timed(db, `SELECT refresh_${kind}_order($1::uuid[])`, [ids]));
  }
}

const sides = [];
try {
  for (const [index, build] of builds.entries()) sides.push(await open(build, index));
  for (let i = 0; i < ROUNDS; i++) for (const side of sides) await round(side, i);
  const fmt = (ms) => `${ms.toFixed(1)} ms`;
  console.log(
    `PostgreSQL ${(await sides[0].db.query('SHOW server_version')).rows[0].server_version}, ${ORDERS} orders, ${sides[0].ids.length} refreshed per round, medians of ${ROUNDS} rounds`,
  );
  console.log(
    '| build | subqueries in EXPLAIN: v_order / va_order | documents alone | refresh_tv_order | refresh_ta_order | ta_ / tv_ |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const side of sides) {
    const tv = median(side.times.tv);
    const ta = median(side.times.ta);
    console.log(
      `| ${side.label} | ${side.scans.v} / ${side.scans.va} | ${fmt(median(side.times.documents))} | ${fmt(tv)} | ${fmt(ta)} | ${(ta / tv).toFixed(2)}× |`,
    );
  }
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  for (const side of sides) await side.db.close();
  for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
