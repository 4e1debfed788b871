// kill -9 of the sink process between a ClickHouse insert and the acknowledgement to the change
// log, 20 times: every event is stored once and the aggregates equal a direct count.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createChangeLogSource } from '@fraiseql/observers';
import { requireService, uniqueName, waitFor } from '@fraiseql/testing';
import { createHttpConnection, eventTables } from '@fraiseql/clickhouse';
import { describe, expect, it } from 'vitest';
import {
  clickHouseCounts,
  commitChanges,
  createChangeLogDb,
  directCounts,
  expectCountsMatch,
  readerBacklog,
} from './support/change-log.js';

const postgres = await requireService('postgres');
const clickhouse = await requireService('clickhouse');
const worker = new URL('fixtures/sink-worker.mjs', import.meta.url).pathname;

function startWorker(env: Record<string, string>): {
  child: ChildProcess;
  lines: AsyncIterator<string>;
} {
  const child = spawn(process.execPath, [worker], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: AsyncIterator<string> = createInterface({ input: child.stdout })[
    Symbol.asyncIterator
  ]();
  return { child, lines };
}

async function nextLine(lines: AsyncIterator<string>, wanted: string): Promise<void> {
  for (;;) {
    const next: IteratorResult<string> = await lines.next();
    if (next.done === true) throw new Error(`worker exited before printing ${wanted}`);
    if (next.value === wanted) return;
  }
}

describe.skipIf(postgres === undefined || clickhouse === undefined)(
  'sink process killed between insert and acknowledgement',
  () => {
    it.each(['observers source', 'change-log reader'] as const)(
      '20 kill -9 in a row: nothing is counted twice or lost (%s)',
      async (path) => {
        const pg = await createChangeLogDb(postgres!);
        const consumer = uniqueName('crash');
        const database = uniqueName('crash').replace(/-/g, '_');
        const env = {
          DATABASE_URL: pg.url,
          CLICKHOUSE_URL: clickhouse!.url,
          CONSUMER: consumer,
          CH_DATABASE: database,
          MODE: path === 'observers source' ? 'source' : 'reader',
        };
        const connection = createHttpConnection({ url: clickhouse!.url });
        const tables = eventTables(database, 'fraiseql_events');
        const source = createChangeLogSource(pg.db, { consumer });
        try {
          await commitChanges(pg.db, 1500);
          let kills = 0;
          while (kills < 20) {
            const { child, lines } = startWorker({ ...env, HOLD_AFTER_INSERT: '1' });
            await nextLine(lines, 'ready');
            await nextLine(lines, 'inserted');
            const exited = once(child, 'exit');
            child.kill('SIGKILL');
            await exited;
            kills += 1;
          }
          const afterKills = await clickHouseCounts(connection, tables);
          // Every kill left an inserted batch unacknowledged.
          expect(afterKills.rawRows).toBeGreaterThanOrEqual(20);

          await commitChanges(pg.db, 300);
          const { child } = startWorker(env);
          try {
            await waitFor(
              async () =>
                path === 'observers source'
                  ? (await source.backlog()).events === 0
                  : (await readerBacklog(pg.db, consumer)) === 0,
              {
                timeoutMs: 120_000,
                intervalMs: 250,
              },
            );
          } finally {
            const exited = once(child, 'exit');
            child.kill('SIGTERM');
            await exited;
          }
          const truth = await directCounts(pg.db);
          expect(truth.total).toBe(1800);
          const stored = await clickHouseCounts(connection, tables);
          // Not merged away later: each event was inserted once.
          expectCountsMatch(stored, truth);
          const skipped = await connection.query<{ n: string }>(
            `SELECT count() AS n FROM ${tables.deadLetter}`,
          );
          expect(Number(skipped[0]?.n)).toBe(0);
        } finally {
          await source.close();
          await connection
            .command(`DROP DATABASE IF EXISTS ${tables.database}`)
            .catch(() => undefined);
          await connection.close();
          await pg.close();
        }
      },
      300_000,
    );
  },
);
