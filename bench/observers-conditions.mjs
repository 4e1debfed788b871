/* global console, performance, process */
// Condition evaluation (compileCondition(...).evaluate) against the same check hand-written in
// JavaScript, in the same run, over the same varied events (about half of them match).
//
//   baseline "hand-written JS": a closure doing the same typed checks directly on the event
//   "compiled condition":       the DSL compiled once to a closure tree
//   "matcher.match":            createMatcher over 20 observers (10 entities, wildcards,
//                               conditions); one call finds every observer of an event
//
// Each measurement runs ITERATIONS evaluations; rounds alternate the order; medians of ROUNDS.
//
//   pnpm exec tsc -b && node bench/observers-conditions.mjs [iterations=5000000] [rounds=7]
const { compileCondition } =
  await import('../packages/observers/dist/conditions/compile-condition.js');
const { validateObserversConfig } =
  await import('../packages/observers/dist/config/load-observers-config.js');
const { createObserverDefinitions } =
  await import('../packages/observers/dist/matching/observer-definition.js');
const { createMatcher } = await import('../packages/observers/dist/matching/observer-matcher.js');

const ITERATIONS = Number(process.argv[2] ?? 5_000_000);
const ROUNDS = Number(process.argv[3] ?? 7);

const TIERS = ['gold', 'platinum', 'silver', 'bronze'];
const STATUSES = ['shipped', 'paid', 'new'];
const events = Array.from({ length: 1024 }, (_, i) => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  seq: BigInt(i),
  eventType: 'UPDATE',
  entityType: `Entity${i % 10}`,
  entityId: String(i),
  data: {
    total: (i * 37) % 250,
    status: STATUSES[i % 3],
    customer: { tier: TIERS[i % 4], name: `c${i}` },
  },
  timestamp: new Date(0),
}));

const source =
  "data.total > 100 && data.status == 'shipped' || data.customer.tier in ['gold', 'platinum']";
const compiled = compileCondition(source);
const handWritten = (event) => {
  const data = event.data;
  const total = data.total;
  if (typeof total === 'number' && total > 100 && data.status === 'shipped') return true;
  const tier = data.customer?.tier;
  return tier === 'gold' || tier === 'platinum';
};

// Same answers, or the comparison means nothing.
for (const event of events) {
  if (compiled.evaluate(event) !== handWritten(event)) throw new Error(`mismatch on ${event.id}`);
}

const observers = {};
for (let i = 0; i < 20; i += 1) {
  observers[`o${i}`] = {
    entity: i % 5 === 0 ? '*' : `Entity${i % 10}`,
    events: ['UPDATE', 'INSERT'],
    ...(i % 2 === 0 ? { condition: source } : {}),
    actions: [{ type: 'function', name: `f${i}` }],
  };
}
const matcher = createMatcher(
  createObserverDefinitions(validateObserversConfig({ observers }, { env: {} })),
);

function run(evaluate) {
  let hits = 0;
  const start = performance.now();
  for (let i = 0; i < ITERATIONS; i += 1) {
    if (evaluate(events[i & 1023])) hits += 1;
  }
  const seconds = (performance.now() - start) / 1000;
  return { perSecond: ITERATIONS / seconds, hits };
}

const sides = {
  'hand-written JS': (event) => handWritten(event),
  'compiled condition': (event) => compiled.evaluate(event),
  'matcher.match': (event) => matcher.match(event).length > 2,
};
const names = Object.keys(sides);
const results = Object.fromEntries(names.map((name) => [name, []]));
for (const name of names) run(sides[name]); // warm-up
for (let round = 0; round < ROUNDS; round += 1) {
  const order = round % 2 === 0 ? names : [...names].reverse();
  for (const name of order) results[name].push(run(sides[name]));
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rate = Object.fromEntries(
  names.map((name) => [name, median(results[name].map((result) => result.perSecond))]),
);

console.log(`condition: ${source}`);
console.log(`${ITERATIONS} evaluations per measurement, median of ${ROUNDS} rounds\n`);
console.log('| side | per second | vs hand-written JS |');
console.log('| --- | ---: | ---: |');
for (const name of names) {
  const ratio = rate[name] / rate['hand-written JS'];
  console.log(
    `| ${name} | ${Math.round(rate[name]).toLocaleString('en-US')} | ${ratio.toFixed(2)}× |`,
  );
}
console.log(
  `\nhits per measurement: ${names.map((name) => `${name} ${results[name][0].hits}`).join(', ')}`,
);
