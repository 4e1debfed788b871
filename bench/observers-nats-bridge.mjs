// NATS bridge publish rate against raw @nats-io JetStream async publishing of the same payloads.
//
// Baseline ("raw"): `js.publish(subject, bytes, { msgID })` with the same number of PubAcks
// outstanding as the bridge (a sliding window of WINDOW promises), payloads serialised before
// the clock starts. Bridge: `createNatsBridge` fed by an in-process EventSource that hands out
// the same events (the bridge serialises each one, publishes asynchronously and settles `done`
// on its PubAck, as it does for the change log). Each run publishes COUNT events into its own
// stream (file storage, 2 min duplicate window), deleted afterwards; ROUNDS rounds of one run
// each (which goes first alternates) and the medians are compared.
//
//   pnpm exec tsc -b && node bench/observers-nats-bridge.mjs [count=20000] [rounds=3] [window=256]
import console from 'node:console';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { URL } from 'node:url';
import { TextEncoder } from 'node:util';

const require = createRequire(new URL('../packages/observers/package.json', import.meta.url));
const { connect } = require('@nats-io/transport-node');
const { jetstream, jetstreamManager } = require('@nats-io/jetstream');
const { serializeEvent } = await import('../packages/core/dist/index.js');
const { createNatsBridge, eventSubject } = await import('../packages/observers/dist/index.js');

const COUNT = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const WINDOW = Number(process.argv[4] ?? 256);
const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const ENTITIES = ['Order', 'Customer', 'Invoice', 'Shipment'];

const nc = await connect({ servers: url });
const jsm = await jetstreamManager(nc);
const js = jetstream(nc);

function makeEvents() {
  return Array.from({ length: COUNT }, (_, i) => ({
    id: randomUUID(),
    seq: BigInt(i + 1),
    eventType: i % 3 === 0 ? 'UPDATE' : 'INSERT',
    entityType: ENTITIES[i % ENTITIES.length],
    entityId: String(i),
    data: { id: i, status: 'paid', total: i * 1.5, customer: { tier: 'gold', name: `c${i}` } },
    timestamp: new Date(),
  }));
}

async function createStream(name, prefix) {
  await jsm.streams.add({
    name,
    subjects: [`${prefix}.>`],
    duplicate_window: 120_000_000_000,
    max_age: 3_600_000_000_000,
    storage: 'file',
  });
}

async function raw(run) {
  const name = `BENCH_RAW_${process.pid}_${run}`;
  const prefix = name.toLowerCase();
  await createStream(name, prefix);
  const events = makeEvents();
  const encoder = new TextEncoder();
  const prepared = events.map((event) => ({
    subject: eventSubject(prefix, event),
    bytes: encoder.encode(serializeEvent(event)),
    id: event.id,
  }));
  const started = performance.now();
  const cpu = process.cpuUsage();
  let next = 0;
  async function lane() {
    while (next < prepared.length) {
      const message = prepared[next++];
      await js.publish(message.subject, message.bytes, { msgID: message.id });
    }
  }
  await Promise.all(Array.from({ length: WINDOW }, lane));
  const seconds = (performance.now() - started) / 1000;
  const cpuMicros = cpuPerEvent(cpu);
  const stored = (await jsm.streams.info(name)).state.messages;
  await jsm.streams.delete(name);
  if (stored !== COUNT) throw new Error(`raw run stored ${stored} of ${COUNT}`);
  return { rate: COUNT / seconds, cpuMicros };
}

// Hands out pre-built events with at most maxInFlight unsettled, like the change-log source.
function arraySource(events) {
  let next = 0;
  let inFlight = 0;
  let done = 0;
  let onDelivery;
  let max = 1;
  let finished;
  const allDone = new Promise((resolve) => (finished = resolve));
  const pump = () => {
    while (inFlight < max && next < events.length) {
      const event = events[next++];
      inFlight += 1;
      onDelivery({
        event,
        attempt: 1,
        heartbeat: () => Promise.resolve(),
        settle: async (outcome) => {
          inFlight -= 1;
          if (outcome.status !== 'done') throw new Error(`unexpected ${outcome.status}`);
          done += 1;
          if (done === events.length) finished();
          else pump();
        },
      });
    }
  };
  return {
    kind: 'bench',
    allDone,
    async start(options) {
      onDelivery = options.onDelivery;
      max = options.maxInFlight ?? 16;
      void Promise.resolve().then(pump);
    },
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
}

async function bridged(run) {
  const name = `BENCH_BRIDGE_${process.pid}_${run}`;
  const prefix = name.toLowerCase();
  await createStream(name, prefix);
  const events = makeEvents();
  const source = arraySource(events);
  const bridge = createNatsBridge({
    source,
    servers: url,
    stream: name,
    subjectPrefix: prefix,
    duplicateWindow: '2m',
    maxAge: '1h',
    maxPendingPublishes: WINDOW,
  });
  // Connecting and checking the stream are not publishing: the clock starts with the source.
  const originalStart = source.start;
  let started = 0;
  let cpu;
  source.start = (options) => {
    started = performance.now();
    cpu = process.cpuUsage();
    return originalStart(options);
  };
  await bridge.start();
  await source.allDone;
  const seconds = (performance.now() - started) / 1000;
  const cpuMicros = cpuPerEvent(cpu);
  const stats = bridge.stats();
  await bridge.close();
  await jsm.streams.delete(name);
  if (stats.published !== COUNT)
    throw new Error(`bridge run stored ${stats.published} of ${COUNT}`);
  return { rate: COUNT / seconds, cpuMicros };
}

// CPU time of this process (client side only: the server is another process) per event.
function cpuPerEvent(since) {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / COUNT;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rawRuns = [];
const bridgeRuns = [];
await raw('warmup');
for (let round = 0; round < ROUNDS; round++) {
  // Alternate which goes first, so neither always runs on a warmer (or busier) server.
  if (round % 2 === 0) {
    rawRuns.push(await raw(round));
    bridgeRuns.push(await bridged(round));
  } else {
    bridgeRuns.push(await bridged(round));
    rawRuns.push(await raw(round));
  }
  const [r, b] = [rawRuns.at(-1), bridgeRuns.at(-1)];
  console.log(
    `round ${round + 1}: raw ${Math.round(r.rate)}/s ${r.cpuMicros.toFixed(1)} µs cpu/event, ` +
      `bridge ${Math.round(b.rate)}/s ${b.cpuMicros.toFixed(1)} µs cpu/event`,
  );
}
const rawRate = median(rawRuns.map((run) => run.rate));
const bridgeRate = median(bridgeRuns.map((run) => run.rate));
const rawCpu = median(rawRuns.map((run) => run.cpuMicros));
const bridgeCpu = median(bridgeRuns.map((run) => run.cpuMicros));
console.log(
  `\n${COUNT} events x ${ROUNDS} rounds, window ${WINDOW}, nats-server ${nc.info?.version}` +
    `\nraw @nats-io publish: ${Math.round(rawRate)} events/s, ${rawCpu.toFixed(1)} µs client CPU/event (medians)` +
    `\nNATS bridge:          ${Math.round(bridgeRate)} events/s, ${bridgeCpu.toFixed(1)} µs client CPU/event (medians)` +
    `\nrate ratio bridge/raw: ${(bridgeRate / rawRate).toFixed(2)} (target >= 0.70)` +
    `\nCPU ratio raw/bridge:  ${(rawCpu / bridgeCpu).toFixed(2)}`,
);
await nc.close();
