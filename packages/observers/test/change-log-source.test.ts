import { CHANGE_LOG_HORIZON, type Delivery, type EntityEvent } from '@fraiseql/core';
import { requireService, waitFor } from '@fraiseql/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createChangeLogSource,
  type ChangeLogSource,
} from '../src/sources/change-log/change-log-source.js';
import {
  createChangeLogDatabase,
  recordingLogger,
  recordingMetrics,
  seqs,
  writeEvents,
  type ChangeLogDatabase,
} from './fixtures/change-log-fixture.js';

const postgres = await requireService('postgres');

describe.skipIf(postgres === undefined)('change-log source on PostgreSQL', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanup.length > 0) await cleanup.pop()?.();
  });

  async function database(): Promise<ChangeLogDatabase> {
    if (postgres === undefined) throw new Error('unreachable');
    const database = await createChangeLogDatabase(postgres);
    cleanup.push(() => database.close());
    return database;
  }

  function track(source: ChangeLogSource): ChangeLogSource {
    cleanup.push(() => source.close());
    return source;
  }

  /** Starts a source that settles every delivery `done` and records the events. */
  async function collecting(
    source: ChangeLogSource,
  ): Promise<{ events: EntityEvent[]; attempts: number[] }> {
    const events: EntityEvent[] = [];
    const attempts: number[] = [];
    await source.start({
      onDelivery: async (delivery: Delivery) => {
        events.push(delivery.event);
        attempts.push(delivery.attempt);
        await delivery.settle({ status: 'done' });
      },
    });
    return { events, attempts };
  }

  it('delivers committed rows once, in order, woken by NOTIFY alone', async () => {
    const { db } = await database();
    const metrics = recordingMetrics();
    // An hour-long safety poll: only NOTIFY can wake the source within the test.
    const source = track(createChangeLogSource(db, { consumer: 'c', pollInterval: '1h', metrics }));
    const { events } = await collecting(source);
    const written = await writeEvents(db, 25);
    const more = await writeEvents(db, 5, 'customer');
    await waitFor(() => events.length >= 30, { message: '30 deliveries' });
    expect(seqs(events)).toEqual([...written, ...more].map((row) => row.seq));
    expect(events.map((event) => event.id)).toEqual([...written, ...more].map((row) => row.id));
    expect(events[0]).toMatchObject({ eventType: 'INSERT', entityType: 'order', data: { n: 1 } });
    expect(metrics.count('sourceBatch')).toBeGreaterThan(0);
    await waitFor(async () => (await source.backlog()).events === 0, { message: 'empty backlog' });
  });

  it('holds a later commit back behind an open transaction and then delivers both, skipping nothing', async () => {
    const { db, url } = await database();
    const logger = recordingLogger();
    const source = track(
      createChangeLogSource(db, {
        consumer: 'late',
        pollInterval: '1h',
        commitLagWindow: 1,
        logger,
      }),
    );
    const { events } = await collecting(source);

    const writerA = new pg.Client({ connectionString: url });
    const writerB = new pg.Client({ connectionString: url });
    await writerA.connect();
    await writerB.connect();
    cleanup.push(
      () => writerA.end(),
      () => writerB.end(),
    );
    const insert = `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
      VALUES ('order', $1, 'INSERT', '{}') RETURNING pk_entity_change_log::text AS pk`;

    await writerA.query('BEGIN');
    const a = await writerA.query<{ pk: string }>(insert, ['a']);
    const b = await writerB.query<{ pk: string }>(insert, ['b']);
    const seqA = BigInt(a.rows[0]!.pk);
    const seqB = BigInt(b.rows[0]!.pk);
    expect(seqB).toBeGreaterThan(seqA);

    // B is committed and visible: a `pk > watermark` reader would deliver it now and then never
    // look below it again. This source must not move past A's open transaction.
    await source.poll();
    expect(seqs(events)).toEqual([]);
    expect(source.status().heldBackSince).toBeInstanceOf(Date);
    // Past the commit-lag window, the source names the transaction it waits for.
    const pidA = (await writerA.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!
      .pid;
    await waitFor(async () => {
      await source.poll();
      return logger.lines.some((line) => line.level === 'warn');
    });
    const warning = logger.lines.find((line) => line.level === 'warn')!;
    expect(warning.message).toMatch(/behind an open transaction/);
    expect(warning.fields.blocker).toMatchObject({ pid: pidA });
    expect(source.status().lastError?.message).toMatch(/behind an open transaction/);

    await writerA.query('COMMIT');
    await waitFor(() => events.length >= 2, { message: 'both rows delivered' });
    expect(seqs(events).sort()).toEqual([seqA, seqB]);
    await source.poll();
    expect(events).toHaveLength(2);
    expect(source.status().heldBackSince).toBeUndefined();
  });

  it('is not held back by an open transaction in another database on the same server', async () => {
    const { db } = await database();
    const source = track(createChangeLogSource(db, { consumer: 'neighbour', pollInterval: '1h' }));
    const { events } = await collecting(source);
    const other = new pg.Client({ connectionString: postgres!.url });
    await other.connect();
    cleanup.push(() => other.end());
    await other.query('BEGIN');
    const xid = await other.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
    // A plain xmin horizon would wait for that transaction: it is older than our writes.
    const blocked = await db.query<{ blocked: boolean }>(
      'SELECT pg_snapshot_xmin(pg_current_snapshot()) <= $1::xid8 AS blocked',
      [xid.rows[0]!.xid],
    );
    expect(blocked.rows[0]!.blocked).toBe(true);
    const written = await writeEvents(db, 5);
    await waitFor(() => events.length >= 5, {
      message: 'delivery while the neighbour is open',
      timeoutMs: 20_000,
    });
    expect(seqs(events)).toEqual(written.map((row) => row.seq));
    await other.query('ROLLBACK');
  });

  it('resumes after a restart without replaying finished rows; unsettled ones come back', async () => {
    const { db } = await database();
    const first = createChangeLogSource(db, { consumer: 'resume', batchSize: 10 });
    const unsettled: Delivery[] = [];
    const finished: EntityEvent[] = [];
    await first.start({
      onDelivery: async (delivery) => {
        if (delivery.event.data.n === 3 || delivery.event.data.n === 7) {
          unsettled.push(delivery);
          return;
        }
        finished.push(delivery.event);
        await delivery.settle({ status: 'done' });
      },
    });
    const initial = await writeEvents(db, 20);
    await waitFor(() => finished.length === 18 && unsettled.length === 2, {
      message: '18 finished, 2 left open',
    });
    await first.close();

    const later = await writeEvents(db, 10);
    const second = track(createChangeLogSource(db, { consumer: 'resume', batchSize: 10 }));
    const { events, attempts } = await collecting(second);
    await waitFor(() => events.length >= 12, { message: '12 deliveries after restart' });
    const open = initial.filter((_, index) => index === 2 || index === 6);
    expect(seqs(events)).toEqual([...open, ...later].map((row) => row.seq));
    // The two released rows are redeliveries, with the same event ids as before.
    expect(attempts.slice(0, 2)).toEqual([2, 2]);
    expect(events.slice(0, 2).map((event) => event.id)).toEqual(unsettled.map((d) => d.event.id));
    await second.poll();
    expect(events).toHaveLength(12);
  });

  it('moves malformed rows aside with their id and keeps delivering the rows behind them', async () => {
    const { db } = await database();
    // An existing FraiseQL table may lack the kind check; a foreign writer may put anything there.
    await db.exec(
      'ALTER TABLE core.tb_entity_change_log DROP CONSTRAINT tb_entity_change_log_modification_type_check',
    );
    const before = await writeEvents(db, 3);
    const bad = await db.query<{ pk: string; id: string }>(
      `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
       VALUES ('order', 'x', 'TRUNCATE', '{}'), ('order', 'y', 'INSERT', '[1, 2]')
       RETURNING pk_entity_change_log::text AS pk, id::text AS id`,
    );
    const noop = await db.query<{ pk: string }>(
      `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
       VALUES ('order', 'z', 'NOOP', '{}') RETURNING pk_entity_change_log::text AS pk`,
    );
    const after = await writeEvents(db, 3);
    const logger = recordingLogger();
    const metrics = recordingMetrics();
    const source = track(createChangeLogSource(db, { consumer: 'strict', logger, metrics }));
    const { events } = await collecting(source);

    await waitFor(() => events.length >= 6, { message: 'good rows delivered' });
    expect(seqs(events)).toEqual([...before, ...after].map((row) => row.seq));
    const parked = await waitFor(async () => {
      const result = await db.query<{
        pk: string;
        event_id: string;
        kind: string;
        reason: string;
        raw_row: { modification_type: string };
      }>(
        `SELECT pk_entity_change_log::text AS pk, event_id::text, kind, reason, raw_row
         FROM core.tb_observer_parked WHERE consumer = 'strict' ORDER BY pk_entity_change_log`,
      );
      return result.rows.length === 2 ? result.rows : undefined;
    });
    expect(parked.map((row) => [row.pk, row.event_id, row.kind])).toEqual(
      bad.rows.map((row) => [row.pk, row.id, 'malformed']),
    );
    expect(parked[0]!.reason).toMatch(/modification_type/);
    expect(parked[0]!.raw_row.modification_type).toBe('TRUNCATE');
    expect(metrics.count('malformedEvent')).toBe(2);
    const warnings = logger.lines.filter((line) => line.level === 'warn');
    expect(warnings.map((line) => line.fields.id)).toEqual(bad.rows.map((row) => row.id));
    // Nothing is left claimed: malformed rows are finished, the NOOP row skipped.
    await waitFor(async () => (await source.backlog()).events === 0, { message: 'empty backlog' });
    expect(seqs(events)).not.toContain(BigInt(noop.rows[0]!.pk));
  });

  it('reports a lost lease on heartbeat and does not let the old holder finish the claim', async () => {
    const { db } = await database();
    const logger = recordingLogger();
    const source = track(createChangeLogSource(db, { consumer: 'lease', logger }));
    const deliveries: Delivery[] = [];
    await source.start({ onDelivery: (delivery) => void deliveries.push(delivery) });
    await writeEvents(db, 1);
    await waitFor(() => deliveries.length === 1);
    const delivery = deliveries[0]!;
    await delivery.heartbeat();
    // Another worker took the claim over (as after an expiry while this one stalled).
    await db.query(
      "UPDATE core.tb_observer_claim_batch SET lease_owner = 'other-worker' WHERE consumer = 'lease'",
    );
    await expect(delivery.heartbeat()).rejects.toMatchObject({ code: 'LEASE_LOST' });
    await delivery.settle({ status: 'done' });
    const claims = await db.query<{ lease_owner: string }>(
      "SELECT lease_owner FROM core.v_observer_claim WHERE consumer = 'lease'",
    );
    expect(claims.rows).toEqual([{ lease_owner: 'other-worker' }]);
    expect(
      logger.lines.some(
        (line) => line.level === 'warn' && line.message.includes('passed to another worker'),
      ),
    ).toBe(true);
  });

  it('keeps progress per consumer: each consumer gets every event', async () => {
    const { db } = await database();
    const one = await collecting(track(createChangeLogSource(db, { consumer: 'one' })));
    const two = await collecting(track(createChangeLogSource(db, { consumer: 'two' })));
    const written = await writeEvents(db, 15);
    await waitFor(() => one.events.length >= 15 && two.events.length >= 15);
    expect(seqs(one.events)).toEqual(written.map((row) => row.seq));
    expect(seqs(two.events)).toEqual(written.map((row) => row.seq));
  });

  it('starts a new consumer at the end of the log with startFrom "now"', async () => {
    const { db } = await database();
    await writeEvents(db, 5);
    // "now" starts at the change log's horizon; a transaction still open in this database
    // holds it back, so wait until the old rows are below it (the horizon ignores transactions
    // of other databases, which other test files run at the same time).
    await waitFor(async () => {
      const result = await db.query<{ below: boolean }>(
        `SELECT max(transaction_id) < ${CHANGE_LOG_HORIZON} AS below
         FROM core.tb_entity_change_log`,
      );
      return result.rows[0]?.below === true;
    });
    const source = track(createChangeLogSource(db, { consumer: 'fresh', startFrom: 'now' }));
    const { events } = await collecting(source);
    const written = await writeEvents(db, 3);
    await waitFor(() => events.length >= 3);
    await source.poll();
    expect(seqs(events)).toEqual(written.map((row) => row.seq));
  });

  it('retention deletes only old rows every consumer passed, in bounded batches', async () => {
    const { db } = await database();
    const written = await writeEvents(db, 30);
    const nothing = createChangeLogSource(db, {
      consumer: 'unused',
      retention: { maxAge: '1d', batchSize: 3 },
    });
    // No consumer registered yet: a later one must still find every row.
    expect(await nothing.runRetention()).toEqual({ deleted: 0, batches: 0 });

    const fast = track(createChangeLogSource(db, { consumer: 'fast' }));
    const fastRun = await collecting(fast);
    await waitFor(() => fastRun.events.length >= 30);
    await waitFor(async () => (await fast.backlog()).events === 0);

    // `slow` stops fetching after its first 10 rows and finishes them: its cursor is at row 10.
    const slow = track(createChangeLogSource(db, { consumer: 'slow', batchSize: 10 }));
    const stop = new AbortController();
    let slowFinished = 0;
    await slow.start({
      maxInFlight: 10,
      signal: stop.signal,
      onDelivery: async (delivery) => {
        if (Number(delivery.event.data.n) === 10) stop.abort();
        await delivery.settle({ status: 'done' });
        slowFinished += 1;
      },
    });
    await waitFor(() => slowFinished === 10 && slow.status().inFlight === 0);
    expect(await slow.backlog()).toMatchObject({ events: 20 });

    // `holder` has everything but keeps row 7 claimed.
    const holder = track(createChangeLogSource(db, { consumer: 'holder' }));
    let held: Delivery | undefined;
    let holderFinished = 0;
    await holder.start({
      onDelivery: async (delivery) => {
        if (Number(delivery.event.data.n) === 7) held = delivery;
        else {
          await delivery.settle({ status: 'done' });
          holderFinished += 1;
        }
      },
    });
    await waitFor(() => holderFinished === 29 && held !== undefined);

    // Every row is old except 9 and 10.
    await db.query(
      `UPDATE core.tb_entity_change_log SET created_at = now() - interval '2 days'
       WHERE pk_entity_change_log NOT IN ($1, $2)`,
      [written[8]!.seq, written[9]!.seq],
    );
    const remaining = async (): Promise<number[]> =>
      (
        await db.query<{ n: number }>(
          `SELECT (object_data->>'n')::int AS n FROM core.tb_entity_change_log ORDER BY pk_entity_change_log`,
        )
      ).rows.map((row) => row.n);
    const range = (from: number, to: number): number[] =>
      Array.from({ length: to - from + 1 }, (_, i) => from + i);

    // Up to the oldest open claim (row 7), three rows per statement.
    expect(await nothing.runRetention()).toEqual({ deleted: 6, batches: 3 });
    expect(await remaining()).toEqual(range(7, 30));

    // Row 7 finished: up to the slowest cursor (row 10), and only old rows.
    await held!.settle({ status: 'done' });
    expect(await nothing.runRetention()).toEqual({ deleted: 2, batches: 1 });
    expect(await remaining()).toEqual(range(9, 30));
  });
});
