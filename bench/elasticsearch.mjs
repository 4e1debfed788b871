/* global console, process, URL, performance, Buffer, setTimeout */
// @fraiseql/elasticsearch against baselines measured in the same run:
//
//   serializer  bulk NDJSON body building of the event-history sink (event → document JSON with
//               search_text → action + document lines → body) vs plain JSON.stringify NDJSON of
//               the same documents: built as objects from the same events then stringified
//               (the plain way to write this serializer: the bar), and, as a lower bound,
//               stringified from objects built before the clock starts (docs/s and MB/s)
//   e2e         events/s from a change-log backlog through the source-to-sink consumer, the sink
//               and the real @elastic/elasticsearch client over @elastic/elasticsearch-mock (no
//               Elasticsearch server runs here), vs the change-log source alone settling every
//               delivery at once
//
//   pnpm exec tsc -b && node bench/elasticsearch.mjs [all|serializer|e2e]
//   env: DOCS=20000 ROUNDS=7 N=20000 DATABASE_URL=postgres://…
import { createRequire } from 'node:module';

const require = createRequire(new URL('../packages/elasticsearch/package.json', import.meta.url));
const pgRequire = createRequire(new URL('../packages/observers/package.json', import.meta.url));
const pg = pgRequire('pg');
const { Client } = require('@elastic/elasticsearch');
const Mock = require('@elastic/elasticsearch-mock');
const core = await import('../packages/core/dist/index.js');
const observers = await import('../packages/observers/dist/index.js');
const es = await import('../packages/elasticsearch/dist/index.js');

const mode = process.argv[2] ?? 'all';
const env = process.env;
const DOCS = Number(env.DOCS ?? 20_000);
const ROUNDS = Number(env.ROUNDS ?? 7);
const N = Number(env.N ?? 20_000);
const serverUrl = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const now = () => performance.now();
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function makeEvents(count) {
  const base = Date.parse('2026-05-17T10:00:00Z');
  return Array.from({ length: count }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    seq: BigInt(i + 1),
    eventType: 'UPDATE',
    entityType: 'Order',
    entityId: `order-${i}`,
    tenantId: `tenant-${i % 50}`,
    userId: `user-${i % 500}`,
    data: {
      id: i,
      status: i % 3 === 0 ? 'shipped' : 'paid',
      total: (i % 1000) * 1.25,
      currency: 'EUR',
      customer: { name: `Customer ${i}`, email: `c${i}@example.com`, tier: 'gold' },
      lines: [
        { sku: `SKU-${i % 97}`, qty: 2, price: 9.99, title: 'Blue widget' },
        { sku: `SKU-${i % 89}`, qty: 1, price: 24.5, title: 'Red gadget "deluxe"' },
      ],
      note: 'Leave at the door\nthanks',
    },
    changes: { status: { old: 'new', new: 'paid' } },
    timestamp: new Date(base + i * 1000),
  }));
}

/** The same document our serializer writes, as an object (what a user would build by hand). */
function documentObject(event) {
  return {
    '@timestamp': event.timestamp.toISOString(),
    event_id: event.id,
    seq: Number(event.seq),
    event_type: event.eventType,
    entity_type: event.entityType,
    entity_id: event.entityId,
    tenant_id: event.tenantId,
    user_id: event.userId,
    changed_fields: Object.keys(event.changes),
    data: event.data,
    search_text: es.searchText(event.data),
  };
}

async function serializer() {
  const events = makeEvents(DOCS);
  const layout = es.eventIndexLayout('fraiseql-events', 'monthly');
  const documents = events.map(documentObject);
  const actions = events.map((event) => ({
    index: { _index: layout.indexOf(event), _id: event.id },
  }));
  const ours = () => {
    const items = events.map((event) =>
      es.bulkItem(event, layout.indexOf(event), 'index', es.eventDocumentJson(event)),
    );
    return es.bulkBody(items);
  };
  const plain = () => {
    let body = '';
    for (const event of events) {
      const action = { index: { _index: layout.indexOf(event), _id: event.id } };
      body += `${JSON.stringify(action)}\n${JSON.stringify(documentObject(event))}\n`;
    }
    return body;
  };
  const prebuilt = () => {
    let body = '';
    for (let i = 0; i < documents.length; i += 1) {
      body += `${JSON.stringify(actions[i])}\n${JSON.stringify(documents[i])}\n`;
    }
    return body;
  };
  const bytes = Buffer.byteLength(ours());
  if (Math.abs(bytes - Buffer.byteLength(plain())) > DOCS * 2) {
    throw new Error('the two bodies differ in size: they do not hold the same documents');
  }
  const times = { ours: [], plain: [], prebuilt: [] };
  const runs = [
    ['ours', ours],
    ['plain', plain],
    ['prebuilt', prebuilt],
  ];
  for (let round = 0; round < ROUNDS + 1; round += 1) {
    // Rotate the order each round so no variant always runs first (or after a GC-heavy one).
    const order = [...runs.slice(round % 3), ...runs.slice(0, round % 3)];
    for (const [name, fn] of order) {
      const started = now();
      fn();
      const ms = now() - started;
      if (round > 0) times[name].push(ms);
    }
  }
  const row = (name) => {
    const ms = median(times[name]);
    return { ms, docsPerS: (DOCS / ms) * 1000, mbPerS: bytes / 1e6 / (ms / 1000) };
  };
  const a = row('ours');
  const b = row('plain');
  const c = row('prebuilt');
  const line = (label, r) =>
    `  ${label.padEnd(44)} ${r.ms.toFixed(1).padStart(8)} ms  ${Math.round(r.docsPerS)} docs/s  ${r.mbPerS.toFixed(1)} MB/s`;
  console.log(
    `serializer: ${DOCS} documents, ${(bytes / 1e6).toFixed(1)} MB of NDJSON, median of ${ROUNDS}`,
  );
  console.log(line('ours (events → body)', a));
  console.log(line('plain: build objects + JSON.stringify', b));
  console.log(line('JSON.stringify of prebuilt objects only', c));
  console.log(`  ratio ours / plain: ${(a.docsPerS / b.docsPerS).toFixed(2)}× (bar ≥ 0.8×)`);
  console.log(
    `  ratio ours / stringify of prebuilt objects: ${(a.docsPerS / c.docsPerS).toFixed(2)}×`,
  );
}

async function withDatabase(fn) {
  const name = `fraiseql_bench_es_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 10 });
  pool.on('error', () => undefined);
  const db = core.pgClient(pool, { ownsPool: true });
  await core.migrate(db, { sets: [core.coreMigrations, observers.observerMigrations] });
  try {
    return await fn(db);
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

const INSERT_ROWS = `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data, tenant_id)
  SELECT 'Order', g::text, 'UPDATE', jsonb_build_object('n', g, 'status', 'paid', 'total', g % 1000,
    'customer', jsonb_build_object('name', 'Customer ' || g, 'email', 'c' || g || '@example.com'),
    'note', 'Leave at the door'), gen_random_uuid()
  FROM generate_series($1::int, $2::int) g`;

async function until(predicate) {
  for (;;) {
    if (await predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function drainPlain(db, consumer) {
  const source = observers.createChangeLogSource(db, { consumer, batchSize: 1000 });
  let settled = 0;
  const started = now();
  await source.start({
    maxInFlight: 2000,
    onDelivery: (delivery) => {
      void delivery.settle({ status: 'done' }).then(() => {
        settled += 1;
      });
    },
  });
  await until(() => settled >= N);
  const ms = now() - started;
  await source.close();
  return ms;
}

async function drainSink(db, consumer) {
  const mock = new Mock();
  mock.add({ method: 'GET', path: '/' }, () => ({ version: { number: '9.1.0' } }));
  for (const path of ['/_component_template/:n', '/_index_template/:n', '/_ilm/policy/:n']) {
    mock.add({ method: 'PUT', path }, () => ({ acknowledged: true }));
  }
  mock.add({ method: 'POST', path: '/_bulk' }, (params) => {
    const items = [];
    for (let i = 0; i < params.body.length; i += 2) {
      items.push({ index: { _id: params.body[i].index._id, status: 201, result: 'created' } });
    }
    return { took: 1, errors: false, items };
  });
  const client = new Client({ node: 'http://127.0.0.1:9200', Connection: mock.getConnection() });
  const connection = es.createElasticsearchConnection({ client });
  const sink = es.createElasticsearchEventSink({
    connection,
    deadLetters: es.createMemorySinkDeadLetters(),
  });
  const source = observers.createChangeLogSource(db, { consumer, batchSize: 1000 });
  const runner = es.createEventSinkConsumer({ source, sink, batchSize: 1000 });
  const started = now();
  await runner.start();
  await until(() => runner.stats().acknowledged >= N);
  const ms = now() - started;
  await runner.close();
  await sink.close();
  await connection.close();
  if (sink.stats().indexed < N) throw new Error(`only ${sink.stats().indexed} documents indexed`);
  return ms;
}

async function e2e() {
  await withDatabase(async (db) => {
    for (let from = 1; from <= N; from += 10_000) {
      await db.query(INSERT_ROWS, [from, Math.min(N, from + 9_999)]);
    }
    const plain = [];
    const sink = [];
    for (let round = 0; round < 3; round += 1) {
      // Each run is a new consumer name, so each drains the whole backlog from the start.
      if (round % 2 === 0) {
        plain.push(await drainPlain(db, `plain-${round}`));
        sink.push(await drainSink(db, `sink-${round}`));
      } else {
        sink.push(await drainSink(db, `sink-${round}`));
        plain.push(await drainPlain(db, `plain-${round}`));
      }
    }
    const a = (N / median(sink)) * 1000;
    const b = (N / median(plain)) * 1000;
    console.log(`e2e: ${N} change-log events, median of 3 drains each`);
    console.log(`  source → consumer → sink → client → mock  ${Math.round(a)} events/s`);
    console.log(`  change-log source alone (settle at once)  ${Math.round(b)} events/s`);
    console.log(`  ratio: ${(a / b).toFixed(2)}× (bar ≥ 0.7×)`);
  });
}

if (mode === 'all' || mode === 'serializer') await serializer();
if (mode === 'all' || mode === 'e2e') await e2e();
