/* global console, process, URL */
// Child of bench/arrow-flight-sql.mjs: runs one Flight SQL query through
// @lakehouse-rs/flight-sql-client (Rust arrow-flight via napi: prepare, GetFlightInfo, DoGet)
// and prints {"rows": n, "ms": t} for the query alone (process start not counted).
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const requireFlight = createRequire(
  new URL('../packages/arrow-flight/package.json', import.meta.url),
);
const { createFlightSqlClient } = requireFlight('@lakehouse-rs/flight-sql-client');
const { tableFromIPC } =
  await import('../packages/arrow-flight/node_modules/apache-arrow/Arrow.node.mjs');

const [port, query] = process.argv.slice(2);
const client = await createFlightSqlClient({
  host: '127.0.0.1',
  port: Number(port),
  tls: false,
  headers: [],
});
const started = performance.now();
const buffer = await client.query(query);
const rows = tableFromIPC(buffer).numRows;
console.log(JSON.stringify({ rows, ms: performance.now() - started, bytes: buffer.byteLength }));
