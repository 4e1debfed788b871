/* global console, process, performance, setTimeout */
// Flight DoExchange consumer throughput against the change-log source's own, same run, same
// database, same events. Each round writes EVENTS change-log events (one statement) and times
// how long a consumer registered just before takes to have every one of them done:
//   - baseline: `createChangeLogSource` with a handler that settles each delivery `done` at once;
//   - exchange: `FlightClient.exchangeEvents` against a Flight server (same process) whose
//     `createEventExchange` runs the same source; the client acknowledges each batch without
//     waiting and the time stops when the last acknowledgement is stored.
// Both use the same claim size (500) and unacknowledged window (WINDOW). Rounds alternate
// which goes first; medians and per-round ratios are printed.
//
//   pnpm build && node bench/arrow-flight-exchange.mjs
//   env: EVENTS=100000 ROUNDS=3 WINDOW=2000 BATCH_ROWS=1000 DATABASE_URL=postgres://…
import { createBenchDatabase } from './bench-database.mjs';

const core = await import('../packages/core/dist/index.js');
const observers = await import('../packages/observers/dist/index.js');
const flight = await import('../packages/arrow-flight/dist/index.js');

const env = process.env;
const EVENTS = Number(env.EVENTS ?? 100_000);
const ROUNDS = Number(env.ROUNDS ?? 3);
const WINDOW = Number(env.WINDOW ?? 2000);
const BATCH_ROWS = Number(env.BATCH_ROWS ?? 1000);

const database = await createBenchDatabase('fraiseql_bench_flight_exchange');
const { pool } = database;
const db = core.pgClient(pool, { ownsPool: true });
await core.migrate(db, { sets: [core.coreMigrations, observers.observerMigrations] });

const sourceOptions = { batchSize: 500, pollInterval: '1s' };
const server = await flight.startFlightServer({
  port: 0,
  extensions: [
    flight.createEventExchange({
      window: WINDOW,
      maxWindow: WINDOW,
      batchRows: BATCH_ROWS,
      source: (consumer, { startFrom }) =>
        observers.createChangeLogSource(db, { ...sourceOptions, consumer, startFrom }),
    }),
  ],
});
const client = new flight.FlightClient({ url: server.url });

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const write = () =>
  db.query(
    `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
     SELECT 'Order', g::text, 'INSERT', jsonb_build_object('id', g, 'total', g * 1.5, 'status', 'paid')
     FROM generate_series(1, $1::int) g`,
    [EVENTS],
  );
async function registered(consumer) {
  for (;;) {
    const all = await observers.listChangeLogConsumers(db, 1);
    if (all.some((c) => c.consumer === consumer)) return;
    await sleep(20);
  }
}

async function baseline(round) {
  const consumer = `bench-source-${round}`;
  const source = observers.createChangeLogSource(db, {
    ...sourceOptions,
    consumer,
    startFrom: 'now',
  });
  let done = 0;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  await source.start({
    maxInFlight: WINDOW,
    onDelivery: (delivery) => {
      void delivery.settle({ status: 'done' }).then(() => {
        if (++done === EVENTS) finish();
      });
    },
  });
  await write();
  const started = performance.now();
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await source.close();
  return EVENTS / seconds;
}

async function exchange(round) {
  const consumer = `bench-exchange-${round}`;
  const events = client.exchangeEvents({ consumer, startFrom: 'now' });
  const iterator = events[Symbol.asyncIterator]();
  const firstBatch = iterator.next();
  await registered(flight.exchangeConsumerName(consumer));
  await write();
  const started = performance.now();
  let received = 0;
  let last;
  for (let next = await firstBatch; next.done !== true; next = await iterator.next()) {
    received += next.value.batch.numRows;
    last = next.value.ack();
    if (received >= EVENTS) break;
  }
  await last;
  const seconds = (performance.now() - started) / 1000;
  await iterator.return();
  return EVENTS / seconds;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const results = { source: [], exchange: [], ratio: [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    let source;
    let viaFlight;
    if (round % 2 === 0) {
      source = await baseline(round);
      viaFlight = await exchange(round);
    } else {
      viaFlight = await exchange(round);
      source = await baseline(round);
    }
    results.source.push(source);
    results.exchange.push(viaFlight);
    results.ratio.push(viaFlight / source);
    console.log(
      `round ${round + 1}: change-log source ${source.toFixed(0)} events/s, DoExchange ${viaFlight.toFixed(0)} events/s, ratio ${(viaFlight / source).toFixed(2)}×`,
    );
  }
  console.log(
    JSON.stringify({
      events: EVENTS,
      rounds: ROUNDS,
      window: WINDOW,
      batchRows: BATCH_ROWS,
      sourceMedian: Math.round(median(results.source)),
      exchangeMedian: Math.round(median(results.exchange)),
      ratioMedian: Number(median(results.ratio).toFixed(2)),
      ratios: results.ratio.map((r) => Number(r.toFixed(2))),
    }),
  );
} finally {
  client.close();
  await server.close();
  await db.close();
  await database.drop();
}
