/* global process, performance, Buffer */
// Webhook receiver for bench/observers-e2e.mjs, in its own process so its CPU is not counted as
// the observers' cost. Prints its port, records the arrival time (epoch ms, sub-ms precision) of
// every POST by event id and path, and answers GET /results with them as JSON.
import { createServer } from 'node:http';

const arrivals = [];
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/results') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(arrivals.splice(0)));
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const at = performance.timeOrigin + performance.now();
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    arrivals.push({ at, path: req.url, n: body.data.n });
    res.writeHead(204);
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
