// Restarts a private ClickHouse server while change-log events stream into it: nothing is lost
// and every aggregate equals a direct count over PostgreSQL's change log.
import { createChangeLogSource } from '@fraiseql/observers';
import { requireService, startService, uniqueName, waitFor } from '@fraiseql/testing';
import { createClickHouseSink } from '@fraiseql/clickhouse';
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

describe.skipIf(postgres === undefined || clickhouse === undefined)(
  'ClickHouse restarted mid-stream (private server)',
  () => {
    // A stop can fall between the raw table taking a batch and the views getting it; the re-sent
    // batch must still reach every aggregate once (engine suite: "… not every view …").
    it.each(['observers source', 'change-log reader'] as const)(
      'loses nothing and the aggregates equal the change log (%s)',
      { timeout: 240_000 },
      async (path) => {
        const server = await startService('clickhouse');
        const pg = await createChangeLogDb(postgres!);
        const name = uniqueName('ch');
        const source = createChangeLogSource(pg.db, {
          consumer: name,
          leaseDuration: '5s',
          pollInterval: '100ms',
          batchSize: 200,
        });
        const sink = await createClickHouseSink({
          url: server.url,
          batch: { maxRows: 300, maxAge: 100 },
          retry: { initialDelay: 50, maxDelay: 500 },
        });
        const states = new Set<string>();
        try {
          const pipe =
            path === 'observers source'
              ? await sink.consume(source)
              : sink.consumeChangeLog(pg.db, { reader: name, pageSize: 200, pollInterval: 100 });
          await commitChanges(pg.db, 500);
          await waitFor(
            async () => (await clickHouseCounts(sink.connection, sink.tables)).rawRows > 0,
            {
              timeoutMs: 30_000,
            },
          );
          for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
            // Writers go on committing while ClickHouse is gone…
            await server.stop(signal);
            await commitChanges(pg.db, 400);
            await waitFor(
              () => {
                states.add(sink.health().service.state);
                return sink.health().service.state === 'reconnecting';
              },
              { timeoutMs: 30_000 },
            );
            await commitChanges(pg.db, 300);
            if (path === 'change-log reader') {
              // Nothing is committed while ClickHouse is away: the 700 rows written since it
              // went are after the reader's position, which moves only once rows are stored.
              expect(await readerBacklog(pg.db, name)).toBeGreaterThanOrEqual(700);
            }
            // …and it comes back on the same port and data.
            await server.start();
            await commitChanges(pg.db, 200);
            await waitFor(() => sink.health().service.state === 'up', { timeoutMs: 60_000 });
          }
          const truth = await directCounts(pg.db);
          expect(truth.total).toBe(2300);
          await waitFor(
            async () =>
              path === 'observers source'
                ? (await source.backlog()).events === 0
                : (await readerBacklog(pg.db, name)) === 0,
            { timeoutMs: 60_000 },
          );
          await waitFor(
            async () =>
              (await clickHouseCounts(sink.connection, sink.tables)).rawRows >= truth.total,
            { timeoutMs: 60_000 },
          );
          const stored = await clickHouseCounts(sink.connection, sink.tables);
          expectCountsMatch(stored, truth);
          expect(states).toContain('reconnecting');
          expect(sink.health().service).toMatchObject({ state: 'up', outages: 2 });
          await pipe.close();
        } finally {
          await sink.close();
          await source.close();
          await pg.close();
          await server.close();
        }
      },
    );
  },
);
