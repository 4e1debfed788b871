// Backfill from the PostgreSQL change log into ClickHouse: aggregates equal a direct count, and
// running it again (or over events the live sink already stored) counts nothing twice.
import { requireService, uniqueName } from '@fraiseql/testing';
import {
  backfillFromChangeLog,
  createClickHouseSink,
  isClickHouseError,
} from '@fraiseql/clickhouse';
import { describe, expect, it } from 'vitest';
import {
  clickHouseCounts,
  commitChanges,
  createChangeLogDb,
  directCounts,
} from './support/change-log.js';

const postgres = await requireService('postgres');
const clickhouse = await requireService('clickhouse');

describe.skipIf(postgres === undefined || clickhouse === undefined)('backfillFromChangeLog', () => {
  it('replays history in bounded pages, safe to re-run', async () => {
    const pg = await createChangeLogDb(postgres!);
    const sink = await createClickHouseSink({
      url: clickhouse!.url,
      database: uniqueName('bf').replace(/-/g, '_'),
    });
    try {
      await commitChanges(pg.db, 1234);
      const progress: number[] = [];
      const first = await backfillFromChangeLog(sink, pg.db, {
        from: 1n,
        to: 600n,
        batchSize: 250,
        onProgress: (p) => progress.push(p.events),
      });
      expect(first).toEqual({ events: 600, lastSeq: 600n });
      expect(progress).toEqual([250, 500, 600]);
      // The whole range, overlapping what is stored, twice.
      for (let run = 0; run < 2; run++) {
        await backfillFromChangeLog(sink, pg.db, { from: 1n, to: 10_000n, batchSize: 500 });
      }
      const truth = await directCounts(pg.db);
      const stored = await clickHouseCounts(sink.connection, sink.tables);
      expect(stored.rawRows).toBe(1234);
      expect(stored.perMinute).toEqual(truth);
      expect(stored.tenantKinds).toEqual(truth.byKind);
      expect(stored.payloadEvents).toBe(1234);
    } finally {
      await sink.close();
      await pg.close();
    }
  });

  it('refuses a sink that does not skip stored events', async () => {
    const pg = await createChangeLogDb(postgres!);
    const sink = await createClickHouseSink({
      url: clickhouse!.url,
      database: uniqueName('bf').replace(/-/g, '_'),
      skipStoredEvents: false,
    });
    try {
      const error = await backfillFromChangeLog(sink, pg.db, { from: 1n, to: 2n }).catch(
        (e: unknown) => e,
      );
      expect(isClickHouseError(error, 'INVALID_ARGUMENT')).toBe(true);
    } finally {
      await sink.close();
      await pg.close();
    }
  });
});
