/* global console, process, URL, setTimeout, setInterval, clearInterval, performance */
// The job queue against raw BullMQ, same Redis, same concurrency, same run:
//
//   throughput  N no-op jobs: enqueue (CHUNK adds in flight) while one worker processes them,
//               start to last completion; ours (createJobQueue + createJobWorker running a
//               no-op `function` action) vs raw BullMQ `Queue.add` + `Worker` with a no-op
//               processor. Runs ROUNDS alternating rounds and reports medians.
//   latency     enqueue → action start of LAT jobs sent one by one (GAP ms apart) to an idle
//               worker, p50/p99, ours vs raw BullMQ.
//   bulk        enqueue-only throughput of BULK jobs with `enqueueMany` in batches of 1000 vs
//               raw `Queue.addBulk`.
//
//   pnpm exec tsc -b && node bench/job-queue.mjs [all|throughput|latency|bulk]
//   env: N=5000 CONCURRENCY=50 CHUNK=100 ROUNDS=3 LAT=300 GAP=5 BULK=20000 REDIS_URL=redis://…
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';

const require = createRequire(new URL('../packages/job-queue/package.json', import.meta.url));
const { Queue, Worker } = require('bullmq');
const jq = await import('../packages/job-queue/dist/index.js');
const { createActionRegistry } = await import('../packages/observers/dist/index.js');

const mode = process.argv[2] ?? 'all';
const env = process.env;
const N = Number(env.N ?? 5000);
const CONCURRENCY = Number(env.CONCURRENCY ?? 50);
const CHUNK = Number(env.CHUNK ?? 100);
const ROUNDS = Number(env.ROUNDS ?? 3);
const LAT = Number(env.LAT ?? 300);
const GAP = Number(env.GAP ?? 5);
const BULK = Number(env.BULK ?? 20_000);
const REDIS_URL = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const connection = jq.redisConnectionOptions(REDIS_URL, 'worker');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const event = (i, extra = {}) => ({
  id: randomUUID(),
  seq: BigInt(i),
  eventType: 'INSERT',
  entityType: 'Bench',
  entityId: String(i),
  data: { i, ...extra },
  timestamp: new Date(),
});
const prefixOf = (label) => `bench_${label}_${process.pid}_${randomUUID().slice(0, 8)}`;

async function cleanup(prefix, name) {
  const q = new Queue(name, { connection, prefix });
  await q.obliterate({ force: true });
  await q.close();
}

/** Ours: returns { seconds, latencies? } */
async function ours({ jobs, onStart, sequential = false }) {
  const prefix = prefixOf('ours');
  const registry = createActionRegistry();
  let done = 0;
  let resolveAll;
  const all = new Promise((resolve) => (resolveAll = resolve));
  registry.registerFunction('noop', (e) => {
    onStart?.(e);
    done += 1;
    if (done === jobs) resolveAll();
  });
  const observers = { get: (name) => ({ name, actions: [{ type: 'function', name: 'noop' }] }) };
  const queue = jq.createJobQueue({ redisUrl: REDIS_URL, prefix });
  const worker = jq.createJobWorker({
    redisUrl: REDIS_URL,
    prefix,
    registry,
    observers,
    concurrency: CONCURRENCY,
    metricsInterval: false,
  });
  await worker.start();
  await queue.enqueue({
    event: event(0),
    observer: 'warm',
    actionIndex: 0,
    actionType: 'function',
  });
  await new Promise((resolve) => {
    const t = setInterval(() => {
      if (done >= 1) {
        clearInterval(t);
        resolve();
      }
    }, 5);
  });
  done = 0;
  const t0 = performance.now();
  if (sequential) {
    for (let i = 0; i < jobs; i += 1) {
      await queue.enqueue({
        event: event(i, { sentAt: performance.now() }),
        observer: 'o',
        actionIndex: 0,
        actionType: 'function',
      });
      await sleep(GAP);
    }
  } else {
    for (let i = 0; i < jobs; i += CHUNK) {
      const batch = [];
      for (let j = i; j < Math.min(jobs, i + CHUNK); j += 1) {
        batch.push(
          queue.enqueue({ event: event(j), observer: 'o', actionIndex: 0, actionType: 'function' }),
        );
      }
      await Promise.all(batch);
    }
  }
  await all;
  const seconds = (performance.now() - t0) / 1000;
  await worker.close();
  await cleanup(prefix, 'default');
  await queue.close();
  await registry.close();
  return seconds;
}

async function raw({ jobs, onStart, sequential = false }) {
  const prefix = prefixOf('raw');
  const queue = new Queue('default', {
    connection: jq.redisConnectionOptions(REDIS_URL, 'producer'),
    prefix,
    skipVersionCheck: true,
  });
  let done = 0;
  let resolveAll;
  const all = new Promise((resolve) => (resolveAll = resolve));
  const worker = new Worker(
    'default',
    async (job) => {
      onStart?.(job.data);
      done += 1;
      if (done === jobs) resolveAll();
    },
    { connection, prefix, concurrency: CONCURRENCY, skipVersionCheck: true },
  );
  await queue.add('warm', { warm: true });
  await new Promise((resolve) => {
    const t = setInterval(() => {
      if (done >= 1) {
        clearInterval(t);
        resolve();
      }
    }, 5);
  });
  done = 0;
  const opts = { removeOnComplete: { age: 86_400 }, removeOnFail: { age: 86_400 } };
  const t0 = performance.now();
  if (sequential) {
    for (let i = 0; i < jobs; i += 1) {
      await queue.add('noop', { data: { sentAt: performance.now() } }, opts);
      await sleep(GAP);
    }
  } else {
    for (let i = 0; i < jobs; i += CHUNK) {
      const batch = [];
      for (let j = i; j < Math.min(jobs, i + CHUNK); j += 1) {
        batch.push(queue.add('noop', { i: j }, { ...opts, jobId: `${randomUUID()}:o:0` }));
      }
      await Promise.all(batch);
    }
  }
  await all;
  const seconds = (performance.now() - t0) / 1000;
  await worker.close();
  await cleanup(prefix, 'default');
  await queue.close();
  return seconds;
}

if (mode === 'all' || mode === 'throughput') {
  const a = [];
  const b = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    b.push(N / (await raw({ jobs: N })));
    a.push(N / (await ours({ jobs: N })));
  }
  const o = median(a);
  const r = median(b);
  console.log(`throughput  N=${N} concurrency=${CONCURRENCY} chunk=${CHUNK} rounds=${ROUNDS}`);
  console.log(
    `  raw BullMQ   ${r.toFixed(0)} jobs/s (rounds: ${b.map((x) => x.toFixed(0)).join(', ')})`,
  );
  console.log(
    `  job-queue    ${o.toFixed(0)} jobs/s (rounds: ${a.map((x) => x.toFixed(0)).join(', ')})`,
  );
  console.log(`  ratio        ${(o / r).toFixed(2)}x`);
}

if (mode === 'all' || mode === 'latency') {
  const l1 = [];
  const l2 = [];
  await raw({
    jobs: LAT,
    sequential: true,
    onStart: (d) => {
      if (d.data?.sentAt !== undefined) l2.push(performance.now() - d.data.sentAt);
    },
  });
  await ours({
    jobs: LAT,
    sequential: true,
    onStart: (e) => {
      if (e.data.sentAt !== undefined) l1.push(performance.now() - e.data.sentAt);
    },
  });
  console.log(`latency  enqueue → start, ${LAT} jobs ${GAP} ms apart, idle worker`);
  console.log(`  raw BullMQ   p50 ${pct(l2, 50).toFixed(2)} ms  p99 ${pct(l2, 99).toFixed(2)} ms`);
  console.log(`  job-queue    p50 ${pct(l1, 50).toFixed(2)} ms  p99 ${pct(l1, 99).toFixed(2)} ms`);
}

if (mode === 'all' || mode === 'bulk') {
  const ourPrefix = prefixOf('bulk_ours');
  const queue = jq.createJobQueue({ redisUrl: REDIS_URL, prefix: ourPrefix });
  let t0 = performance.now();
  for (let i = 0; i < BULK; i += 1000) {
    const jobs = [];
    for (let j = i; j < Math.min(BULK, i + 1000); j += 1)
      jobs.push({ event: event(j), observer: 'o', actionIndex: 0, actionType: 'function' });
    await queue.enqueueMany(jobs);
  }
  const oursRate = BULK / ((performance.now() - t0) / 1000);
  await cleanup(ourPrefix, 'default');
  await queue.close();
  const rawPrefix = prefixOf('bulk_raw');
  const rq = new Queue('default', {
    connection: jq.redisConnectionOptions(REDIS_URL, 'producer'),
    prefix: rawPrefix,
    skipVersionCheck: true,
  });
  t0 = performance.now();
  for (let i = 0; i < BULK; i += 1000) {
    const jobs = [];
    for (let j = i; j < Math.min(BULK, i + 1000); j += 1)
      jobs.push({ name: 'noop', data: { i: j }, opts: { jobId: `${randomUUID()}:o:0` } });
    await rq.addBulk(jobs);
  }
  const rawRate = BULK / ((performance.now() - t0) / 1000);
  await rq.obliterate({ force: true });
  await rq.close();
  console.log(`bulk enqueue  ${BULK} jobs in batches of 1000`);
  console.log(`  raw addBulk      ${rawRate.toFixed(0)} jobs/s`);
  console.log(
    `  enqueueMany      ${oursRate.toFixed(0)} jobs/s  (${(oursRate / rawRate).toFixed(2)}x)`,
  );
}
process.exit(0);
