/* global process, URL */
// The consumer of bench/arrow-flight-exchange-proof.mjs, run as a child process so that it can be
// killed with SIGKILL at any point. It reads a Flight event exchange, prints one JSON line per
// batch received ({"b": [seqs]}), writes the batch to an idempotent sink table (keyed by event
// id, counting deliveries), acknowledges it without waiting, and prints a line per
// acknowledgement the server has stored ({"a": "<seq>"}). When its standard input closes it
// ends the exchange (the acknowledgements sent are stored first) and exits 0.
//
//   node bench/arrow-flight-exchange-child.mjs <flight url> <database url> <consumer> <entity>
//        <sink table> <window> <batch rows>
import { createRequire } from 'node:module';

const require = createRequire(new URL('../packages/arrow-flight/package.json', import.meta.url));
const pg = require('pg');
const flight = await import('../packages/arrow-flight/dist/index.js');

const [url, databaseUrl, consumer, entity, sink, window, batchRows] = process.argv.slice(2);
const db = new pg.Client({ connectionString: databaseUrl });
db.on('error', () => undefined);
await db.connect();
const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

const client = new flight.FlightClient({ url });
const exchange = client.exchangeEvents({
  consumer,
  entityTypes: [entity],
  window: Number(window),
  batchRows: Number(batchRows),
});
process.stdin.on('end', () => {
  exchange.close().catch(() => undefined);
});
process.stdin.resume();
try {
  for await (const batch of exchange) {
    const ids = Array.from(batch.batch.getChild('event_id').toArray());
    const seqs = Array.from(batch.batch.getChild('seq').toArray(), String);
    print({ b: seqs });
    await db.query(
      `INSERT INTO ${sink} (event_id, seq, deliveries)
       SELECT * FROM unnest($1::uuid[], $2::bigint[]), LATERAL (SELECT 1) d
       ON CONFLICT (event_id) DO UPDATE SET deliveries = ${sink}.deliveries + 1`,
      [ids, seqs],
    );
    const last = String(batch.lastSeq);
    batch.ack().then(
      () => print({ a: last }),
      () => undefined,
    );
  }
} finally {
  await exchange.close();
  client.close();
  await db.end();
}
