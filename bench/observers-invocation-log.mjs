/* global console, process, crypto */
// In-process cost of the invocation log, without a database: `record` of N webhook attempts
// (the hot path), then the batches built, redacted and stringified as they are for
// `jsonb_to_recordset` (the off-path share), against a stand-in client that only counts.
//
//   pnpm exec tsc -b && node bench/observers-invocation-log.mjs [attempts=200000]
const { createInvocationLog } = await import('../packages/observers/dist/index.js');

const N = Number(process.argv[2] ?? 200_000);
let queries = 0;
let bytes = 0;
const db = {
  query: (_text, params) => {
    queries += 1;
    bytes += params?.[0]?.length ?? 0;
    return Promise.resolve({ rows: [] });
  },
};
const log = createInvocationLog(db, { flushInterval: '1h', maxBuffered: N, pruneInterval: 0 });
const event = {
  id: crypto.randomUUID(),
  seq: 12n,
  eventType: 'INSERT',
  entityType: 'Order',
  entityId: '42',
  data: { n: 1 },
  timestamp: new Date(),
};
const response = {
  status: 204,
  headers: {
    date: new Date().toUTCString(),
    connection: 'keep-alive',
    'keep-alive': 'timeout=60',
  },
  body: '',
};
const cpu = (usage) => (usage.user + usage.system) / N;
const start = process.cpuUsage();
for (let i = 0; i < N; i += 1) {
  log.record({
    event,
    observer: 'order-big',
    actionIndex: 0,
    actionType: 'webhook',
    attempt: 1,
    startedAt: Date.now(),
    durationMs: 2,
    result: { summary: 'POST http://127.0.0.1:1234/… 204', details: { status: 204 }, response },
  });
}
const recorded = process.cpuUsage(start);
await log.flush();
const total = process.cpuUsage(start);
console.log(
  `${N} attempts: record ${cpu(recorded).toFixed(2)} µs/attempt (hot path), ` +
    `batches ${(cpu(total) - cpu(recorded)).toFixed(2)} µs/attempt (off it); ` +
    `${queries} INSERTs, ${(bytes / N).toFixed(0)} bytes of JSON per attempt`,
);
await log.close();
