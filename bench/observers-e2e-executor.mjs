/* global console, process, AbortController, performance */
// In-process cost of the observer executor, without database or network: the same 20 observers
// as bench/observers-e2e.mjs (5 per entity type, conditions, about one match per event) with a
// `function` action, against two baselines measured in the same run:
//
//   handler   a runtime-style handler that only calls matcher.match(event) (matching cost)
//   executor  createObserverExecutor: matching, concurrency slots, breaker lookup, per-attempt
//             timeout signal, retry bookkeeping, failure policy, metrics calls
//   +dedup    the executor with the in-memory dedup store (claim, done record, release)
//
// 64 events in flight at a time, like the runtime's default window.
//
//   pnpm exec tsc -b && node bench/observers-e2e-executor.mjs [events=50000]
import { randomUUID } from 'node:crypto';

const observers = await import('../packages/observers/dist/index.js');
const { createActionRegistry } =
  await import('../packages/observers/dist/actions/action-registry.js');
const { createObserverDefinitions } =
  await import('../packages/observers/dist/matching/observer-definition.js');

const N = Number(process.argv[2] ?? 50_000);
const ENTITIES = ['Order', 'Customer', 'Invoice', 'Shipment'];
const config = { observers: {} };
for (const entity of ENTITIES) {
  for (const [suffix, events, condition] of [
    ['big', ['INSERT'], 'data.amount > 500'],
    ['small', ['INSERT'], 'data.amount <= 500 && data.tier != "vip"'],
    ['vip', ['INSERT'], 'data.tier == "vip"'],
    ['shipped', ['UPDATE'], 'field_changed_to("status", "shipped")'],
    ['gone', ['DELETE'], undefined],
  ]) {
    config.observers[`${entity}-${suffix}`] = {
      entity,
      events,
      ...(condition === undefined ? {} : { condition }),
      actions: [{ type: 'function', name: 'record' }],
      onFailure: 'log',
      ordering: 'none',
      enabled: true,
    };
  }
}
const matcher = observers.createMatcher(createObserverDefinitions(config));
const registry = createActionRegistry();
let calls = 0;
registry.registerFunction('record', () => {
  calls += 1;
});

// Fresh ids for every pass: the dedup store would otherwise skip a repeated pass entirely.
const makeEvents = () =>
  Array.from({ length: N }, (_, i) => ({
    id: randomUUID(),
    seq: BigInt(i + 1),
    eventType: 'INSERT',
    entityType: ENTITIES[i % ENTITIES.length],
    entityId: String(i),
    data: { n: i, amount: (i * 7919) % 1000, tier: i % 10 === 0 ? 'vip' : 'std' },
    timestamp: new Date(),
  }));
const context = {
  attempt: 1,
  signal: new AbortController().signal,
  heartbeat: () => Promise.resolve(),
};

async function measure(name, handler) {
  calls = 0;
  const events = makeEvents();
  const inFlight = new Set();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const event of events) {
    const run = handler(event, context);
    inFlight.add(run);
    void run.then(() => inFlight.delete(run));
    if (inFlight.size >= 64) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    name,
    eventsPerSecond: N / (wall / 1000),
    cpuMicros: (cpu.user + cpu.system) / N,
    calls,
  };
}

const matchOnly = async (event) => {
  for (const observer of matcher.match(event)) calls += observer.actions.length;
};
const executor = observers.createObserverExecutor({ matcher, registry, concurrency: 256 });
const withDedup = observers.createObserverExecutor({
  matcher,
  registry,
  concurrency: 256,
  dedup: observers.createMemoryDedupStore({ maxEntries: 2 * N }),
});

// One warm-up pass each, then the measured pass.
const results = [];
for (const [name, handler] of [
  ['handler', matchOnly],
  ['executor', executor],
  ['+dedup', withDedup],
]) {
  await measure(name, handler);
  results.push(await measure(name, handler));
}
await executor.close();
await withDedup.close();
await registry.close();

console.log(`${N} events, 20 observers, ${results[1].calls} action calls per pass`);
console.log('variant     events/s   cpu µs/event');
for (const r of results) {
  console.log(
    `${r.name.padEnd(10)} ${r.eventsPerSecond.toFixed(0).padStart(9)}   ${r.cpuMicros.toFixed(1).padStart(12)}`,
  );
}
const [base, exec, dedup] = results;
console.log(
  `executor adds ${(exec.cpuMicros - base.cpuMicros).toFixed(1)} µs/event over matching alone; ` +
    `dedup (memory) adds ${(dedup.cpuMicros - exec.cpuMicros).toFixed(1)} µs/event more`,
);
