/* global console, process, URL, setTimeout, setInterval, clearInterval */
// Proof of the Flight DoExchange consumer's delivery guarantees under crashes. For each of RUNS
// runs, EVENTS change-log events are written, then a consumer child process
// (arrow-flight-exchange-child.mjs) reads them over an event exchange into an idempotent sink and
// is killed with SIGKILL KILLS times at random points (after a random number of events, plus a
// random delay of 0-25 ms: during a sink write, between a write and its acknowledgement, with
// acknowledgements in flight); the last child runs to the end. Checked, from the children's output
// and the database:
//   - every event reaches the sink, and its final state holds each event exactly once, all
//     acknowledged (the consumer's backlog is empty);
//   - an event comes again only if it had been received and not acknowledged (its stored
//     acknowledgement printed) before the kill, and never more of them than were unacknowledged
//     then; the unacknowledged set never exceeds the window.
// Exits 1 on any violation. Prints a JSON summary as the last line.
//
//   pnpm build && node bench/arrow-flight-exchange-proof.mjs
//   env: RUNS=20 EVENTS=20000 KILLS=4 WINDOW=1000 BATCH_ROWS=250 SEED=…
//        DATABASE_URL=postgres://… (a server: a database is created and dropped)
//        PROOF_DATABASE_URL=postgres://… (use this database as it is, migrated here)
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(new URL('../packages/arrow-flight/package.json', import.meta.url));
const pg = require('pg');
const core = await import('../packages/core/dist/index.js');
const observers = await import('../packages/observers/dist/index.js');
const flight = await import('../packages/arrow-flight/dist/index.js');

const env = process.env;
const RUNS = Number(env.RUNS ?? 20);
const EVENTS = Number(env.EVENTS ?? 20_000);
const KILLS = Number(env.KILLS ?? 4);
const WINDOW = Number(env.WINDOW ?? 1000);
const BATCH_ROWS = Number(env.BATCH_ROWS ?? 250);
let seed = Number(env.SEED ?? Date.now() % 1_000_000);
const SEED = seed;
const CHILD = fileURLToPath(new URL('./arrow-flight-exchange-child.mjs', import.meta.url));

// mulberry32: reproducible kill points for a given SEED.
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

let databaseUrl = env.PROOF_DATABASE_URL;
let dropDatabase = async () => undefined;
if (databaseUrl === undefined) {
  const serverUrl = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `fraiseql_bench_flight_exchange_proof_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  databaseUrl = url.toString();
  dropDatabase = async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
}
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
pool.on('error', () => undefined);
const db = core.pgClient(pool, { ownsPool: true });
await core.migrate(db, { sets: [core.coreMigrations, observers.observerMigrations] });
const logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (fields, message) => env.DEBUG && console.error('warn', message, fields),
  error: (fields, message) => console.error('error', message, fields),
  fatal: () => undefined,
  child: () => logger,
};
const server = await flight.startFlightServer({
  port: 0,
  logger,
  extensions: [
    flight.createEventExchange({
      maxWindow: WINDOW,
      source: (consumer, { startFrom }) =>
        observers.createChangeLogSource(db, { consumer, startFrom, pollInterval: '1s', logger }),
    }),
  ],
});

const violations = [];
const violate = (message) => {
  violations.push(message);
  console.error(`VIOLATION ${message}`);
};

/** Runs one child; kills it once it has received `killAfter` events (undefined: runs to the end). */
function runChild(args, killAfter, state, isDone) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => undefined);
    // Every event in the sink and acknowledged: tell the child to end (it closes its exchange).
    let stopped = false;
    const poll = setInterval(() => {
      if (stopped) return;
      void isDone().then((done) => {
        if (done && !stopped) {
          stopped = true;
          child.stdin.end();
        }
      });
    }, 200);
    const received = []; // seqs in the order this child received them
    let ackedUpTo = 0; // received[0..ackedUpTo) are acknowledged and stored
    let duplicates = 0;
    let killing = false;
    let buffer = '';
    let stderr = '';
    const onLine = (line) => {
      if (line === '') return;
      const message = JSON.parse(line);
      if (env.DEBUG) console.error('line', line.slice(0, 80));
      if (message.b !== undefined) {
        for (const seq of message.b) {
          if (state.seen.has(seq)) {
            duplicates++;
            if (!state.unacked.has(seq)) {
              violate(`event ${seq} came again although its acknowledgement was stored`);
            }
          }
          state.seen.add(seq);
          received.push(seq);
          state.unacked.add(seq);
        }
        // What this exchange sent and has not had acknowledged: bounded by the window.
        if (received.length - ackedUpTo > WINDOW) {
          violate(
            `${received.length - ackedUpTo} events received and unacknowledged, window ${WINDOW}`,
          );
        }
        if (!killing && killAfter !== undefined && received.length >= killAfter) {
          killing = true;
          setTimeout(() => child.kill('SIGKILL'), Math.floor(random() * 25));
        }
      } else if (message.a !== undefined) {
        const end = received.indexOf(message.a, ackedUpTo);
        if (end < 0) violate(`acknowledgement of ${message.a}, which this child did not receive`);
        for (; ackedUpTo <= end; ackedUpTo++) state.unacked.delete(received[ackedUpTo]);
      }
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        onLine(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
      }
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      // A line cut by the kill is not a whole message: it was never fully written.
      resolve({ code, signal, received: received.length, duplicates, stderr });
    });
  });
}

const summary = {
  seed: SEED,
  runs: RUNS,
  events: EVENTS,
  killsPerRun: KILLS,
  window: WINDOW,
  batchRows: BATCH_ROWS,
  kills: 0,
  redeliveredTotal: 0,
  maxRedeliveredAfterKill: 0,
  maxUnackedAtKill: 0,
  violations: 0,
};
try {
  for (let run = 1; run <= RUNS; run++) {
    const entity = `proof_${process.pid}_${run}`;
    const sink = `proof_sink_${process.pid}_${run}`;
    const consumer = `proof-${process.pid}-${run}`;
    await db.query(
      `CREATE TABLE ${sink} (event_id uuid PRIMARY KEY, seq bigint NOT NULL, deliveries int NOT NULL)`,
    );
    await db.query(
      `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
       SELECT $1, g::text, 'INSERT', jsonb_build_object('n', g) FROM generate_series(1, $2::int) g`,
      [entity, EVENTS],
    );
    const state = { unacked: new Set(), seen: new Set() };
    const args = [server.url, databaseUrl, consumer, entity, sink, WINDOW, BATCH_ROWS];
    const stored = flight.exchangeConsumerName(consumer);
    const isDone = async () => {
      const count = (await db.query(`SELECT count(*)::int AS n FROM ${sink}`)).rows[0].n;
      if (count < EVENTS) return false;
      const progress = (await observers.listChangeLogConsumers(db, 1)).find(
        (c) => c.consumer === stored,
      );
      return progress !== undefined && progress.inFlight === 0 && progress.unclaimed === 0;
    };
    const span = Math.max(1, Math.floor((2 * EVENTS) / (KILLS + 1)));
    let unackedAtKill;
    const runStats = { run, kills: 0, redelivered: [], unackedAtKill: [] };
    for (let attempt = 0; ; attempt++) {
      const killAfter = attempt < KILLS ? 1 + Math.floor(random() * span) : undefined;
      const result = await runChild(args, killAfter, state, isDone);
      if (env.DEBUG)
        console.error(
          'child',
          attempt,
          killAfter,
          JSON.stringify({ ...result, stderr: result.stderr.slice(0, 300) }),
          (await server.health()).activeStreams,
        );
      if (unackedAtKill !== undefined) {
        runStats.redelivered.push(result.duplicates);
        summary.redeliveredTotal += result.duplicates;
        summary.maxRedeliveredAfterKill = Math.max(
          summary.maxRedeliveredAfterKill,
          result.duplicates,
        );
        if (result.duplicates > unackedAtKill) {
          violate(
            `run ${run}: ${result.duplicates} events came again after a kill that left ${unackedAtKill} unacknowledged`,
          );
        }
      }
      if (result.signal === 'SIGKILL') {
        summary.kills++;
        runStats.kills++;
        unackedAtKill = state.unacked.size;
        runStats.unackedAtKill.push(unackedAtKill);
        summary.maxUnackedAtKill = Math.max(summary.maxUnackedAtKill, unackedAtKill);
        continue;
      }
      if (result.code !== 0) {
        violate(`run ${run}: consumer exited with ${result.code}: ${result.stderr.slice(0, 500)}`);
        break;
      }
      // The last child, or one that finished before its kill: the run is over.
      break;
    }
    const sinkState = (
      await db.query(
        `SELECT count(*)::int AS rows, count(DISTINCT seq)::int AS seqs, min(deliveries) AS min
         FROM ${sink}`,
      )
    ).rows[0];
    if (sinkState.rows !== EVENTS || sinkState.seqs !== EVENTS) {
      violate(`run ${run}: the sink holds ${sinkState.rows} events, expected ${EVENTS}`);
    }
    // Left over: acknowledgements stored by the server whose answer a killed child never read.
    runStats.storedUnanswered = state.unacked.size;
    const progress = (await observers.listChangeLogConsumers(db)).find(
      (c) => c.consumer === stored,
    );
    if (progress === undefined || progress.inFlight !== 0 || progress.unclaimed !== 0) {
      violate(
        `run ${run}: consumer ${stored} has events not acknowledged: ${JSON.stringify(progress)}`,
      );
    }
    const missing = (
      await db.query(
        `SELECT count(*)::int AS n FROM core.tb_entity_change_log l
         WHERE l.object_type = $1 AND NOT EXISTS (SELECT 1 FROM ${sink} s WHERE s.event_id = l.id)`,
        [entity],
      )
    ).rows[0].n;
    if (missing !== 0) violate(`run ${run}: ${missing} events never reached the sink`);
    console.log(JSON.stringify(runStats));
    await db.query(`DROP TABLE ${sink}`);
  }
} finally {
  await server.close();
  await db.close();
  await dropDatabase();
}
summary.violations = violations.length;
console.log(JSON.stringify(summary));
process.exitCode = violations.length === 0 ? 0 : 1;
