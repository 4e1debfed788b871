/* global AbortController, console, performance, process, URL */
// Cost of the webhook action (registry.execute: template body, Standard Webhooks signing, SSRF
// guard, keep-alive pool, classification) against raw undici on the same receiver, in the same
// run. The receiver runs in its own process (answers 204, keep-alive) so its CPU is not counted.
//
//   baseline "raw undici keep-alive": Agent.request of a pre-serialised body, no guard, no signing
//   "webhook action":                 registry.execute(webhookConfig, context) for a fresh event
//   "raw undici, no keep-alive":      the same raw request with `reset: true` (a new connection
//                                     per request), to show what the pool saves
//
// Each side sends REQUESTS requests with CONCURRENCY in flight; rounds alternate the order;
// medians of ROUNDS. Reports requests/s, client CPU per request and the ratios.
//
//   pnpm exec tsc -b && node bench/observers-webhook.mjs [requests=4000] [concurrency=16] [rounds=5]
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const require = createRequire(new URL('../packages/observers/package.json', import.meta.url));
const { Agent } = require('undici');
const { createActionRegistry } =
  await import('../packages/observers/dist/actions/action-registry.js');
const { silentLogger } = await import('../packages/core/dist/index.js');

const REQUESTS = Number(process.argv[2] ?? 4000);
const CONCURRENCY = Number(process.argv[3] ?? 16);
const ROUNDS = Number(process.argv[4] ?? 5);

const receiverSource = `
  const { createServer } = require('node:http');
  const server = createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(204); res.end(); }); });
  server.keepAliveTimeout = 60000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;
const receiver = spawn(process.execPath, ['-e', receiverSource], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const [portLine] = await once(createInterface({ input: receiver.stdout }), 'line');
const url = `http://127.0.0.1:${portLine.trim()}/hooks/orders`;

const event = () => ({
  id: randomUUID(),
  seq: 1n,
  eventType: 'UPDATE',
  entityType: 'Order',
  entityId: 'ord_1',
  data: { id: 'ord_1', status: 'shipped', total: 99.5, customer: { email: 'ann@example.com' } },
  changes: { status: { old: 'paid', new: 'shipped' } },
  timestamp: new Date(),
});

const registry = createActionRegistry();
const config = {
  type: 'webhook',
  url,
  method: 'POST',
  headers: { authorization: 'Bearer bench' },
  body: {
    order: '{{ entityId }}',
    status: '{{ changes.status.new }}',
    customer: '{{ data.customer }}',
  },
  timeout: 10_000,
  signing: { secrets: [`whsec_${randomBytes(32).toString('base64')}`] },
  allowHosts: ['127.0.0.1'],
};
// A signal per attempt, as the observer executor gives each attempt its own.
const action = () =>
  registry.execute(config, {
    event: event(),
    observer: 'bench',
    actionIndex: 0,
    attempt: 1,
    signal: new AbortController().signal,
    logger: silentLogger,
  });

const agent = new Agent({ keepAliveTimeout: 60_000, connections: 32 });
const origin = new URL(url).origin;
const rawBody = JSON.stringify({
  order: 'ord_1',
  status: 'shipped',
  customer: { email: 'ann@example.com' },
});
const raw = (reset) => async () => {
  const response = await agent.request({
    origin,
    path: '/hooks/orders',
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
    body: rawBody,
    reset,
  });
  await response.body.dump();
  if (response.statusCode !== 204) throw new Error(`status ${response.statusCode}`);
};

async function measure(send) {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        next += 1;
        await send();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { rps: REQUESTS / seconds, cpuUs: (used.user + used.system) / REQUESTS };
}

const sides = {
  'raw undici keep-alive': raw(false),
  'webhook action': action,
  'raw undici, no keep-alive': raw(true),
};
// Warm-up: connections, JIT, template compilation.
for (const send of Object.values(sides)) for (let i = 0; i < 200; i += 1) await send();

const results = Object.fromEntries(Object.keys(sides).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round += 1) {
  const names = Object.keys(sides);
  if (round % 2 === 1) names.reverse();
  for (const name of names) results[name].push(await measure(sides[name]));
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const summary = Object.fromEntries(
  Object.entries(results).map(([name, runs]) => [
    name,
    { rps: median(runs.map((r) => r.rps)), cpuUs: median(runs.map((r) => r.cpuUs)) },
  ]),
);
const base = summary['raw undici keep-alive'];
console.log(`requests=${REQUESTS} concurrency=${CONCURRENCY} rounds=${ROUNDS} (medians)`);
for (const [name, { rps, cpuUs }] of Object.entries(summary)) {
  console.log(
    `${name.padEnd(28)} ${rps.toFixed(0).padStart(7)} req/s  ${cpuUs.toFixed(0).padStart(5)} µs CPU/req  ` +
      `throughput ×${(rps / base.rps).toFixed(2)}  CPU ×${(cpuUs / base.cpuUs).toFixed(2)}`,
  );
}
await registry.close();
await agent.close();
receiver.kill();
