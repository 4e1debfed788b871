/* global AbortController, console, process, URL, setTimeout, performance */
// The job queue against raw BullMQ: same Redis, same concurrency, same payload, same run.
// Every measure runs REPS repetitions, ours and raw alternating (which goes first alternates
// too), and reports the medians and the ratio of the medians.
//
//   throughput  N no-op jobs enqueued CHUNK at a time while one worker (CONCURRENCY) processes
//               them, first enqueue to last completion. Ours: createJobQueue().enqueue +
//               createJobWorker running a no-op `function` action through the observers action
//               registry; raw: Queue.add + Worker with a no-op processor.
//   drain       the worker alone: N jobs already waiting (enqueued before the clock starts),
//               first to last action start (worker start-up not counted).
//   latency     LAT jobs per side sent one by one, GAP ms apart, alternating between ours and
//               raw job by job (each to its idle worker): enqueue call → action start, p50 and
//               p99 per repetition.
//   bulk        enqueue only: BULK jobs in batches of 1000, enqueueMany vs Queue.addBulk.
//   processor   no Redis: the worker's processor (createJobProcessor, what runs per job between
//               BullMQ handing a job over and taking the result back) called PROC times, 100 at
//               a time, on one job object; CPU µs per job against a no-op async function.
//
// Raw BullMQ jobs carry what ours carry (the event's JSON form, a `{eventId}:{observer}:{index}`
// id, the same finished-job retention), so the ratio is the cost of the queue's own work:
// enqueue outcome, attempt bookkeeping, action dispatch, timeouts, metrics.
//
//   pnpm exec tsc -b && node bench/job-queue.mjs [all|throughput|drain|latency|bulk|processor]
//   env: N=5000 CONCURRENCY=50 CHUNK=100 REPS=5 LAT=200 GAP=5 BULK=20000 PROC=100000
//        REDIS_URL=redis://…
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { findProcesses, processCpuMs } from './proc-cpu.mjs';

const require = createRequire(new URL('../packages/job-queue/package.json', import.meta.url));
const { Queue, Worker } = require('bullmq');
const jq = await import('../packages/job-queue/dist/index.js');
const { eventToJson, silentLogger } = await import('../packages/core/dist/index.js');
const { createActionRegistry } = await import('../packages/observers/dist/index.js');

const mode = process.argv[2] ?? 'all';
const env = process.env;
const N = Number(env.N ?? 5000);
const CONCURRENCY = Number(env.CONCURRENCY ?? 50);
const CHUNK = Number(env.CHUNK ?? 100);
const REPS = Number(env.REPS ?? 5);
const LAT = Number(env.LAT ?? 200);
const GAP = Number(env.GAP ?? 5);
const BULK = Number(env.BULK ?? 20_000);
const PROC = Number(env.PROC ?? 100_000);
const REDIS_URL = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const workerConnection = jq.redisConnectionOptions(REDIS_URL, 'worker');
const producerConnection = jq.redisConnectionOptions(REDIS_URL, 'producer');
const KEEP_S = 86_400;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
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
const newJob = (e) => ({ event: e, observer: 'o', actionIndex: 0, actionType: 'function' });
const rawJob = (e) => ({
  name: 'function',
  data: { event: eventToJson(e) },
  opts: {
    jobId: `${e.id}:o:0`,
    removeOnComplete: { age: KEEP_S },
    removeOnFail: { age: KEEP_S },
  },
});

async function obliterate(prefix) {
  const q = new Queue('default', { connection: producerConnection, prefix });
  await q.obliterate({ force: true });
  await q.close();
}

/** A counter that resolves `reached` when `done` hits `target`. */
function counter() {
  const c = { done: 0, target: Infinity, first: 0, resolve: () => undefined };
  c.expect = (target) => {
    c.done = 0;
    c.first = 0;
    c.target = target;
    return new Promise((resolve) => (c.resolve = resolve));
  };
  c.hit = () => {
    if (c.done === 0) c.first = performance.now();
    c.done += 1;
    if (c.done === c.target) c.resolve();
  };
  return c;
}

/** Ours: a producer and a worker (not started) on a fresh prefix. */
function oursSide(onStart) {
  const prefix = prefixOf('ours');
  const registry = createActionRegistry();
  const count = counter();
  registry.registerFunction('noop', (e) => {
    onStart?.(e.data);
    count.hit();
  });
  // One config object per observer, as the observers matcher hands out.
  const observer = { name: 'o', actions: [{ type: 'function', name: 'noop' }] };
  const observers = { get: (name) => (name === 'o' ? observer : undefined) };
  const queue = jq.createJobQueue({ redisUrl: REDIS_URL, prefix });
  const worker = jq.createJobWorker({
    redisUrl: REDIS_URL,
    prefix,
    registry,
    observers,
    concurrency: CONCURRENCY,
    metricsInterval: false,
  });
  return {
    count,
    start: () => worker.start(),
    add: (e) => queue.enqueue(newJob(e)),
    addMany: (events) => queue.enqueueMany(events.map(newJob)),
    close: async () => {
      await worker.close();
      await obliterate(prefix);
      await queue.close();
      await registry.close();
    },
  };
}

/** Raw BullMQ: a Queue and a Worker (not started) on a fresh prefix. */
function rawSide(onStart) {
  const prefix = prefixOf('raw');
  const count = counter();
  const queue = new Queue('default', {
    connection: producerConnection,
    prefix,
    skipVersionCheck: true,
  });
  let worker;
  return {
    count,
    start: async () => {
      worker = new Worker(
        'default',
        async (job) => {
          onStart?.(job.data.event.data);
          count.hit();
        },
        { connection: workerConnection, prefix, concurrency: CONCURRENCY, skipVersionCheck: true },
      );
      await worker.waitUntilReady();
    },
    add: (e) => {
      const { name, data, opts } = rawJob(e);
      return queue.add(name, data, opts);
    },
    addMany: (events) => queue.addBulk(events.map(rawJob)),
    close: async () => {
      await worker?.close();
      await obliterate(prefix);
      await queue.close();
    },
  };
}

const sides = { ours: oursSide, raw: rawSide };

async function warm(side) {
  const warmed = side.count.expect(1);
  await side.add(event(0));
  await warmed;
}

/** jobs/s enqueuing and processing N jobs at once. */
async function throughput(kind) {
  const side = sides[kind]();
  await side.start();
  await warm(side);
  const all = side.count.expect(N);
  const cpu0 = process.cpuUsage();
  const redis0 = redisCpuMs();
  const t0 = performance.now();
  for (let i = 0; i < N; i += CHUNK) {
    const batch = [];
    for (let j = i; j < Math.min(N, i + CHUNK); j += 1) batch.push(side.add(event(j)));
    await Promise.all(batch);
  }
  await all;
  const rate = N / ((performance.now() - t0) / 1000);
  const cpu = process.cpuUsage(cpu0);
  const redis = redisCpuMs() - redis0;
  console.error(
    `  ${kind} throughput cpu: this process ${((cpu.user + cpu.system) / N).toFixed(0)} µs/job, redis-server ${Number.isNaN(redis) ? '?' : ((redis * 1000) / N).toFixed(0)} µs/job`,
  );
  await side.close();
  return rate;
}

/** CPU ms used so far by the local redis-server processes (NaN when none is found). */
function redisCpuMs() {
  const pids = findProcesses((cmdline) => cmdline.startsWith('redis-server'));
  return pids.length === 0 ? Number.NaN : pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
}

/** jobs/s processing N jobs that wait before the worker starts (first to last action start). */
async function drain(kind) {
  const side = sides[kind]();
  for (let i = 0; i < N; i += 1000) {
    const events = [];
    for (let j = i; j < Math.min(N, i + 1000); j += 1) events.push(event(j));
    await side.addMany(events);
  }
  const all = side.count.expect(N);
  await side.start();
  const cpu0 = process.cpuUsage();
  await all;
  const rate = (N - 1) / ((performance.now() - side.count.first) / 1000);
  const cpu = process.cpuUsage(cpu0);
  console.error(`  ${kind} drain cpu ${((cpu.user + cpu.system) / N).toFixed(0)} µs/job`);
  await side.close();
  return rate;
}

/**
 * enqueue → start latencies (ms) of LAT jobs per side sent one by one, alternating between the
 * two sides job by job (both idle, in this process), so both see the same machine.
 */
async function latencyPair(rep) {
  const samples = { ours: [], raw: [] };
  const record = (data) => {
    if (data.sentAt !== undefined) samples[data.side].push(performance.now() - data.sentAt);
  };
  const both = { ours: oursSide(record), raw: rawSide(record) };
  for (const side of Object.values(both)) {
    await side.start();
    await warm(side);
  }
  for (let i = 0; i < 2 * LAT; i += 1) {
    const kind = (i + rep) % 2 === 0 ? 'raw' : 'ours';
    const started = both[kind].count.expect(1);
    await both[kind].add(event(i, { side: kind, sentAt: performance.now() }));
    await started;
    await sleep(GAP);
  }
  for (const side of Object.values(both)) await side.close();
  const stats = (xs) => ({ p50: pct(xs, 50), p99: pct(xs, 99) });
  return { ours: stats(samples.ours), raw: stats(samples.raw) };
}

/** jobs/s enqueuing BULK jobs in batches of 1000, no worker. */
async function bulk(kind) {
  const side = sides[kind]();
  const batches = [];
  for (let i = 0; i < BULK; i += 1000) {
    const events = [];
    for (let j = i; j < Math.min(BULK, i + 1000); j += 1) events.push(event(j));
    batches.push(events);
  }
  const t0 = performance.now();
  for (const events of batches) await side.addMany(events);
  const rate = BULK / ((performance.now() - t0) / 1000);
  await side.close();
  return rate;
}

/** Runs `measure` REPS times for each side, alternating which goes first. */
async function repeated(measure) {
  const runs = { ours: [], raw: [] };
  for (let r = 0; r < REPS; r += 1) {
    const order = r % 2 === 0 ? ['raw', 'ours'] : ['ours', 'raw'];
    for (const kind of order) runs[kind].push(await measure(kind));
  }
  return runs;
}

const f0 = (x) => x.toFixed(0);
const f2 = (x) => x.toFixed(2);

async function rates(label, measure, note) {
  const runs = await repeated(measure);
  const raw = median(runs.raw);
  const ours = median(runs.ours);
  console.log(`${label}  ${note}, ${REPS} repetitions`);
  console.log(`  raw BullMQ   ${f0(raw)} jobs/s (${runs.raw.map(f0).join(', ')})`);
  console.log(`  job-queue    ${f0(ours)} jobs/s (${runs.ours.map(f0).join(', ')})`);
  console.log(`  ratio        ${f2(ours / raw)}x (ours / raw, medians)`);
}

if (mode === 'all' || mode === 'throughput') {
  await rates('throughput', throughput, `N=${N} concurrency=${CONCURRENCY} chunk=${CHUNK}`);
}
if (mode === 'all' || mode === 'drain') {
  await rates('drain', drain, `N=${N} waiting, concurrency=${CONCURRENCY}`);
}
if (mode === 'all' || mode === 'latency') {
  const runs = { ours: [], raw: [] };
  for (let r = 0; r < REPS; r += 1) {
    const pair = await latencyPair(r);
    runs.ours.push(pair.ours);
    runs.raw.push(pair.raw);
  }
  const p = (kind, q) => median(runs[kind].map((x) => x[q]));
  const list = (kind) => runs[kind].map((x) => `${f2(x.p50)}/${f2(x.p99)}`).join(', ');
  console.log(
    `latency  enqueue → start, ${LAT} jobs per side ${GAP} ms apart, sides alternating job by job, idle workers, ${REPS} repetitions`,
  );
  console.log(
    `  raw BullMQ   p50 ${f2(p('raw', 'p50'))} ms  p99 ${f2(p('raw', 'p99'))} ms (${list('raw')})`,
  );
  console.log(
    `  job-queue    p50 ${f2(p('ours', 'p50'))} ms  p99 ${f2(p('ours', 'p99'))} ms (${list('ours')})`,
  );
  console.log(
    `  ratio        p50 ${f2(p('raw', 'p50') / p('ours', 'p50'))}x  p99 ${f2(p('raw', 'p99') / p('ours', 'p99'))}x (raw / ours, medians: above 1 is faster)`,
  );
}
if (mode === 'all' || mode === 'bulk') {
  await rates('bulk enqueue', bulk, `${BULK} jobs in batches of 1000`);
}
if (mode === 'all' || mode === 'processor') {
  const registry = createActionRegistry();
  registry.registerFunction('noop', () => undefined);
  const observer = { name: 'o', actions: [{ type: 'function', name: 'noop' }] };
  const processor = jq.createJobProcessor({
    queue: 'default',
    registry,
    observers: { get: () => observer },
    deadLetters: () => Promise.reject(new Error('no dead letters in this bench')),
    metrics: jq.noopJobQueueMetrics,
    logger: silentLogger,
    defaultRetry: undefined,
    actionTimeoutMs: 30_000,
    shutdown: new AbortController().signal,
    dlqRetentionMs: undefined,
    random: Math.random,
    maxStalledCount: 1,
  });
  const job = {
    id: 'x:o:0',
    stalledCounter: 0,
    data: {
      event: eventToJson(event(1)),
      observer: 'o',
      actionIndex: 0,
      actionType: 'function',
      enqueuedAt: Date.now(),
      attempts: [],
    },
  };
  const noop = async (j) => j.data;
  const cpuPerJob = async (fn) => {
    const c0 = process.cpuUsage();
    for (let i = 0; i < PROC; i += 100) {
      const batch = [];
      for (let k = 0; k < 100; k += 1) batch.push(fn(job));
      await Promise.all(batch);
    }
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / PROC;
  };
  const runs = { ours: [], raw: [] };
  for (let r = 0; r < REPS; r += 1) {
    runs.raw.push(await cpuPerJob(noop));
    runs.ours.push(await cpuPerJob(processor));
  }
  console.log(`processor  ${PROC} calls of a no-op function action, ${REPS} repetitions`);
  console.log(`  no-op async fn ${f2(median(runs.raw))} µs CPU/job`);
  console.log(
    `  job processor  ${f2(median(runs.ours))} µs CPU/job (${runs.ours.map(f2).join(', ')})`,
  );
  await registry.close();
}
process.exit(0);
