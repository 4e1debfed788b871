// Change log → NATS: how much the bridge costs on top of reading the change log.
//
// Baseline ("change log only"): the change-log source drains a backlog of COUNT rows into a
// handler that settles each delivery `done` at once. Bridge: the same source (a new consumer
// over the same rows) feeds `createNatsBridge`, which publishes every event to JetStream and
// settles `done` on its PubAck. Same process, same database, alternating order, ROUNDS
// rounds, medians; the ratio is bridge rate / change-log-only rate.
//
//   pnpm exec tsc -b && node bench/observers-nats-changelog.mjs [count=20000] [rounds=3]
//   (WINDOW=<n> sets the bridge's maxPendingPublishes, default 256)
import console from 'node:console';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout as delay } from 'node:timers/promises';
import { URL } from 'node:url';

const require = createRequire(new URL('../packages/observers/package.json', import.meta.url));
const pg = require('pg');
const { connect } = require('@nats-io/transport-node');
const { jetstreamManager } = require('@nats-io/jetstream');
const core = await import('../packages/core/dist/index.js');
const { createChangeLogSource, createNatsBridge, observerMigrations } =
  await import('../packages/observers/dist/index.js');

const COUNT = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

const dbName = `fraiseql_bench_nats_${process.pid}`;
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
await admin.query(`CREATE DATABASE ${dbName}`);
const dbUrl = new URL(serverUrl);
dbUrl.pathname = `/${dbName}`;
const pool = new pg.Pool({ connectionString: dbUrl.toString(), max: 8 });
const db = core.pgClient(pool);
await core.migrate(db, { sets: [core.coreMigrations, observerMigrations] });
const entities = ['Order', 'Customer', 'Invoice', 'Shipment'];
await db.query(
  `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
   SELECT ($2::text[])[1 + g % 4], g::text, 'INSERT',
          jsonb_build_object('id', g, 'status', 'paid', 'total', g * 1.5, 'tier', 'gold')
     FROM generate_series(1, $1::int) g`,
  [COUNT, entities],
);

const nc = await connect({ servers: natsUrl });
const jsm = await jetstreamManager(nc);

const options = { batchSize: 500, pollInterval: '1s', startFrom: 'beginning' };

async function changeLogOnly(run) {
  const source = createChangeLogSource(db, { ...options, consumer: `only_${run}` });
  let done = 0;
  let finished;
  const all = new Promise((resolve) => (finished = resolve));
  const started = performance.now();
  await source.start({
    maxInFlight: 256,
    onDelivery: (delivery) => {
      void delivery.settle({ status: 'done' }).then(() => {
        done += 1;
        if (done === COUNT) finished();
      });
    },
  });
  await all;
  const seconds = (performance.now() - started) / 1000;
  await source.close();
  return COUNT / seconds;
}

async function bridged(run) {
  const stream = `BENCH_CL_${process.pid}_${run}`;
  const source = createChangeLogSource(db, { ...options, consumer: `bridge_${run}` });
  const bridge = createNatsBridge({
    source,
    servers: natsUrl,
    stream,
    subjectPrefix: stream.toLowerCase(),
    maxAge: '1h',
    maxPendingPublishes: Number(process.env.WINDOW ?? 256),
  });
  const started = performance.now();
  await bridge.start();
  while (bridge.stats().published < COUNT) {
    await delay(5);
  }
  const seconds = (performance.now() - started) / 1000;
  await bridge.close();
  const stored = (await jsm.streams.info(stream)).state.messages;
  await jsm.streams.delete(stream);
  await jsm.streams.delete(`${stream}_DLQ`).catch(() => undefined);
  if (stored !== COUNT) throw new Error(`bridge run stored ${stored} of ${COUNT}`);
  return COUNT / seconds;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const only = [];
const bridge = [];
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2 === 0) {
    only.push(await changeLogOnly(round));
    bridge.push(await bridged(round));
  } else {
    bridge.push(await bridged(round));
    only.push(await changeLogOnly(round));
  }
  console.log(
    `round ${round + 1}: change log only ${Math.round(only.at(-1))}/s, bridge ${Math.round(bridge.at(-1))}/s`,
  );
}
console.log(
  `\n${COUNT} rows x ${ROUNDS} rounds` +
    `\nchange-log source only: ${Math.round(median(only))} events/s (median)` +
    `\nchange log -> NATS:     ${Math.round(median(bridge))} events/s (median)` +
    `\nratio:                  ${(median(bridge) / median(only)).toFixed(2)}`,
);
await nc.close();
await pool.end();
await admin.query(`DROP DATABASE ${dbName}`);
await admin.end();
