/* global console, process, AbortController */
// What an action context costs to create, by shape: an object literal with a lazy `signal`
// accessor (how attempt contexts keep their signal lazy), the same fields as a plain object
// with an AbortController and its signal made up front, and a plain object alone (the
// baseline). CPU time of this process (GC threads included) per creation, ROUNDS alternations
// of N creations each; medians reported.
//
//   node bench/observers-context-alloc.mjs        env: N=1000000 ROUNDS=5
const N = Number(process.env.N ?? 1_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const keep = new Array(1024);
const shared = new AbortController().signal;

const shapes = {
  plain: (i) => ({ event: i, observer: 'o', actionIndex: 0, attempt: 1, signal: shared }),
  'accessor literal': (i) => {
    let controller;
    return {
      event: i,
      observer: 'o',
      actionIndex: 0,
      attempt: 1,
      get signal() {
        controller ??= new AbortController();
        return controller.signal;
      },
    };
  },
  'plain + AbortController': (i) => {
    const controller = new AbortController();
    return { event: i, observer: 'o', actionIndex: 0, attempt: 1, signal: controller.signal };
  },
};

const samples = Object.fromEntries(Object.keys(shapes).map((name) => [name, []]));
for (let round = 0; round < ROUNDS + 1; round += 1) {
  for (const [name, make] of Object.entries(shapes)) {
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < N; i += 1) keep[i & 1023] = make(i);
    const cpu = process.cpuUsage(cpu0);
    const ns = ((cpu.user + cpu.system) * 1e3) / N;
    if (round > 0) samples[name].push(ns); // the first round warms up
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const base = median(samples.plain);
console.log(`${N} creations per round, ${ROUNDS} rounds (medians of CPU ns per creation)`);
for (const [name, values] of Object.entries(samples)) {
  const ns = median(values);
  console.log(
    `${name.padEnd(24)} ${ns.toFixed(1).padStart(8)} ns  ${(ns / base).toFixed(1).padStart(7)}× plain`,
  );
}
