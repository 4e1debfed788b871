/* global console, process, URL, setTimeout, performance, AbortController */
// The Arrow Flight live event tail: commit → record batch received by a Flight client, at RATE
// events/s, against a baseline measured in the same run on the same commits: the commit →
// NOTIFY arrival latency of a plain `LISTEN fraiseql_change_log` connection.
//
//   pnpm exec tsc -b && RATE=1000 SECONDS=15 node bench/arrow-flight-tail.mjs
//   env: RATE=1000 SECONDS=15 WRITERS=4 DATABASE_URL=postgres://…
import { createRequire } from 'node:module';
import { createBenchDatabase } from './bench-database.mjs';

const require = createRequire(new URL('../packages/arrow-flight/package.json', import.meta.url));
const pg = require('pg');
const core = await import('../packages/core/dist/index.js');
const flight = await import('../packages/arrow-flight/dist/index.js');

const env = process.env;
const RATE = Number(env.RATE ?? 1000);
const SECONDS = Number(env.SECONDS ?? 15);
const WRITERS = Number(env.WRITERS ?? 4);
const now = () => performance.now();

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const fmt = (ms) => `${ms.toFixed(2)} ms`;

const database = await createBenchDatabase('fraiseql_bench_flight_tail');
const { pool } = database;
const url = database.url;
const db = core.pgClient(pool, { ownsPool: true });
await core.migrate(db, { sets: [core.coreMigrations] });

const events = flight.createEventsHandler({ db });
const server = await flight.startFlightServer({ port: 0, handlers: [events] });
const client = new flight.FlightClient({ url: server.url });
const acked = new Map(); // seq → commit acknowledged (ms)
const received = new Map(); // seq → batch received by the Flight client (ms)
const notified = new Map(); // max seq of a statement → NOTIFY arrival (ms)

const listener = new pg.Client({ connectionString: url });
await listener.connect();
listener.on('notification', (message) => {
  notified.set(message.payload, now());
});
await listener.query('LISTEN fraiseql_change_log');

const controller = new AbortController();
const tail = (async () => {
  for await (const { batch } of flight.readEvents(
    client,
    { tail: true, entityTypes: ['Order'] },
    { signal: controller.signal },
  )) {
    const at = now();
    for (const seq of batch.getChild('seq').toArray()) received.set(String(seq), at);
  }
})().catch((error) => {
  if (!controller.signal.aborted) throw error;
});
await new Promise((resolve) => setTimeout(resolve, 500));

const writers = [];
for (let i = 0; i < WRITERS; i++) {
  const writer = new pg.Client({ connectionString: url });
  await writer.connect();
  await writer.query('SET synchronous_commit = off');
  writers.push(writer);
}
const INSERT = `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
  VALUES ('Order', $1, 'INSERT', '{"status":"new"}') RETURNING pk_entity_change_log::text AS pk`;
const total = RATE * SECONDS;
const started = now();
const firstMeasured = new Set();
// One statement at a time per connection (node-postgres queues the rest itself).
const chains = writers.map(() => Promise.resolve());
for (let i = 0; i < total; i++) {
  const due = started + (i * 1000) / RATE;
  const wait = due - now();
  if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
  const w = i % WRITERS;
  chains[w] = chains[w].then(async () => {
    const result = await writers[w].query(INSERT, [String(i)]);
    const pk = result.rows[0].pk;
    acked.set(pk, now());
    if (i < RATE) firstMeasured.add(pk);
  });
}
await Promise.all(chains);
const elapsed = (now() - started) / 1000;
const deadline = now() + 10_000;
while (received.size < total && now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
controller.abort();
await tail;

// The first second is dropped (connections and JIT warming up).
const tailLatency = [];
const notifyLatency = [];
let missing = 0;
for (const [pk, ack] of acked) {
  if (firstMeasured.has(pk)) continue;
  const got = received.get(pk);
  if (got === undefined) missing++;
  else tailLatency.push(Math.max(0, got - ack));
  const note = notified.get(pk);
  if (note !== undefined) notifyLatency.push(Math.max(0, note - ack));
}
tailLatency.sort((a, b) => a - b);
notifyLatency.sort((a, b) => a - b);
console.log(
  `rate: ${String(RATE)} events/s asked, ${(total / elapsed).toFixed(0)} written/s; ${String(total)} events, ${String(tailLatency.length)} measured, ${String(missing)} not received`,
);
console.log(
  `NOTIFY arrival (baseline) p50 / p99: ${fmt(percentile(notifyLatency, 50))} / ${fmt(percentile(notifyLatency, 99))}`,
);
console.log(
  `Flight tail batch received p50 / p99 / max: ${fmt(percentile(tailLatency, 50))} / ${fmt(percentile(tailLatency, 99))} / ${fmt(tailLatency.at(-1) ?? NaN)}`,
);

for (const writer of writers) await writer.end();
await listener.end();
client.close();
await server.close();
await events.close();
await db.close();
await database.drop();
if (missing > 0) process.exitCode = 1;
