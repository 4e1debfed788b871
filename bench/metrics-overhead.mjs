/* global console, process, performance, setImmediate */
// Cost of Prometheus metrics in the observers pipeline, and /metrics scrape time.
//
// Pipeline: memory source → runtime → observer executor, 20 observers of which 4 match each
// event, each with a `function` action on one of 10 endpoint hosts (breakers on), 64 events in
// flight. Two configurations alternate in the same process, several rounds each, median taken:
//
//   off  no metrics (the observers' frozen no-op)
//   on   createObserverMetrics(registry) given to the runtime, executor and source
//
// Scrape: after the "on" rounds the registry holds the series of 20 observers' actions, plus
// 10 endpoints' breakers, failures, lag and DLQ; renderMetrics() is timed in both formats (median of 500).
//
// Also: the CPU cost of one event's seam calls in a tight loop (steadier than the ratio on a
// loaded machine).
//
//   pnpm exec tsc -b && node bench/metrics-overhead.mjs [events=20000] [rounds=5]
import { randomUUID } from 'node:crypto';

const observers = await import('../packages/observers/dist/index.js');
const metricsPkg = await import('../packages/metrics/dist/index.js');

const N = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const ENTITIES = ['Order', 'Customer', 'Invoice', 'Shipment', 'Refund'];

const definitions = [];
for (let i = 0; i < 20; i += 1) {
  definitions.push({
    name: `observer_${i}`,
    entity: ENTITIES[i % ENTITIES.length],
    actions: [{ type: 'function', host: `api-${i % 10}.example.test` }],
  });
}
const byEntity = new Map(
  ENTITIES.map((entity) => [entity, definitions.filter((d) => d.entity === entity)]),
);
const matcher = { match: (event) => byEntity.get(event.entityType) ?? [] };
let done = 0;
const action = {
  type: 'function',
  endpoint: (config) => config.host,
  execute: () => {
    done += 1;
    return Promise.resolve({ summary: 'ok' });
  },
};
const registryOf = { get: (type) => (type === 'function' ? action : undefined) };

function events(count) {
  return Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    seq: BigInt(i + 1),
    eventType: 'INSERT',
    entityType: ENTITIES[i % ENTITIES.length],
    entityId: String(i % 500),
    data: { n: i },
    timestamp: new Date(),
  }));
}

async function run(metrics) {
  const source = observers.createMemorySource(metrics === undefined ? {} : { metrics });
  const executor = observers.createObserverExecutor({
    matcher,
    registry: registryOf,
    ...(metrics === undefined ? {} : { metrics }),
  });
  const runtime = observers.createObserverRuntime({
    sources: source,
    handler: executor,
    concurrency: 64,
    ...(metrics === undefined ? {} : { metrics }),
  });
  await runtime.start();
  const batch = events(N);
  const expected = done + N * 4;
  const started = performance.now();
  const cpu = process.cpuUsage();
  source.publish(batch);
  while (done < expected) await new Promise((resolve) => setImmediate(resolve));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await runtime.close();
  await executor.close();
  // Events per CPU second: the machine is shared, so wall time carries other processes' load.
  return { wall: N / seconds, cpu: N / ((used.user + used.system) / 1e6) };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const registry = metricsPkg.createMetricsRegistry();
const metrics = metricsPkg.createObserverMetrics(registry);

// The seam calls one event costs here (4 actions, one event count, a share of a batch), alone:
// CPU time per event spent in metrics, to set against the pipeline's CPU time per event.
{
  const micro = metricsPkg.createObserverMetrics(metricsPkg.createMetricsRegistry());
  const loops = 1_000_000;
  const cpu = process.cpuUsage();
  for (let i = 0; i < loops; i += 1) {
    for (let a = 0; a < 4; a += 1) micro.actionExecuted('function', 0.0005);
    micro.eventProcessed();
    if (i % 64 === 0) micro.sourceBatch('memory', 64);
  }
  const used = process.cpuUsage(cpu);
  console.log(
    `seam calls per event: ${(((used.user + used.system) * 1000) / loops).toFixed(0)} ns CPU`,
  );
}
await run(undefined); // warm-up
await run(metrics);
const off = [];
const on = [];
for (let round = 0; round < ROUNDS; round += 1) {
  off.push(await run(undefined));
  on.push(await run(metrics));
}
console.log(`events per round: ${N} (4 actions each), rounds: ${ROUNDS}`);
for (const kind of ['cpu', 'wall']) {
  const offRate = median(off.map((r) => r[kind]));
  const onRate = median(on.map((r) => r[kind]));
  const unit = kind === 'cpu' ? 'events per CPU second' : 'events/s (wall clock)';
  console.log(
    `${unit}: off ${offRate.toFixed(0)}, on ${onRate.toFixed(0)}, on/off ${(onRate / offRate).toFixed(3)} (overhead ${((1 - onRate / offRate) * 100).toFixed(1)} %)`,
  );
}

// What a real runtime adds beside the happy path: 10 endpoints' breakers, failures, lag, DLQ.
for (let i = 0; i < 10; i += 1) metrics.breakerState(`api-${i}.example.test`, 'closed');
for (const errorType of ['http_5xx', 'http_4xx', 'timeout', 'network', 'ssrf']) {
  metrics.actionFailed('function', errorType, 0.2);
  metrics.eventFailed(errorType);
}
metrics.captureLag('change-log', 1.5, 120);
metrics.backlog('change-log', 120);
metrics.sourceBatch('change-log', 100);
metrics.dlqItems(3);
const families = (await registry.getMetricsAsJSON()).filter((f) => f.name.startsWith('fraiseql_'));
const series = families.reduce((sum, f) => sum + f.values.length, 0);
for (const [label, accept] of [
  ['prometheus', 'text/plain'],
  ['openmetrics', 'application/openmetrics-text'],
]) {
  const times = [];
  let bytes = 0;
  for (let i = 0; i < 500; i += 1) {
    const started = performance.now();
    const { body } = await metricsPkg.renderMetrics(registry, accept);
    times.push(performance.now() - started);
    bytes = body.length;
  }
  console.log(
    `scrape (${label}): median ${median(times).toFixed(3)} ms, ${bytes} bytes, ${series} samples`,
  );
}
