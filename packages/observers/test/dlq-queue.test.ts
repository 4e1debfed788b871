import {
  connectDatabase,
  coreMigrations,
  migrate,
  pgliteClient,
  type SqlClient,
} from '@fraiseql/core';
import { createTestDatabase, createTestPGlite, requireService } from '@fraiseql/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeadLetterReplayer, NewDeadLetter } from '../src/dlq/dead-letter.js';
import { createDeadLetterQueue } from '../src/dlq/dead-letter-queue.js';
import { observerMigrations } from '../src/migrations/observer-migrations.js';
import { makeEvent, recordingMetrics } from './execution-helpers.js';

const pg = await requireService('postgres');

function failure(overrides: Partial<NewDeadLetter> = {}): NewDeadLetter {
  return {
    event: makeEvent(),
    observer: 'notify',
    actionIndex: 0,
    actionType: 'webhook',
    errorCode: 'ACTION_FAILED',
    errorType: 'http_5xx',
    errorMessage: 'POST example.com answered 503',
    attempts: [
      {
        attempt: 1,
        at: new Date().toISOString(),
        durationMs: 12,
        errorCode: 'ACTION_FAILED',
        errorType: 'http_5xx',
        error: 'POST example.com answered 503',
      },
    ],
    ...overrides,
  };
}

const succeed: DeadLetterReplayer = () =>
  Promise.resolve({ ok: true, result: { summary: 'POST example.com 204' }, attempts: [] });
const fail: DeadLetterReplayer = () =>
  Promise.resolve({
    ok: false,
    error: { code: 'ACTION_FAILED', errorType: 'http_5xx', message: 'still 503' },
    attempts: [
      {
        attempt: 1,
        at: new Date().toISOString(),
        durationMs: 3,
        errorCode: 'ACTION_FAILED',
        errorType: 'http_5xx',
        error: 'still 503',
      },
    ],
  });

function suite(name: string, open: () => Promise<{ db: SqlClient; close(): Promise<void> }>) {
  describe(`dead-letter queue on ${name}`, () => {
    let db: SqlClient;
    let close: () => Promise<void>;

    beforeAll(async () => {
      const opened = await open();
      db = opened.db;
      close = () => opened.close();
      await migrate(db, { sets: [coreMigrations, observerMigrations] });
    });
    afterAll(async () => {
      await close();
    });
    beforeEach(async () => {
      await db.query('DELETE FROM core.tb_observer_dead_letter');
    });

    it('stores the event, error and attempt history and keeps one item per (event, observer, action)', async () => {
      const metrics = recordingMetrics();
      const dlq = createDeadLetterQueue(db, { metrics });
      const entry = failure({ event: makeEvent({ seq: 2n ** 40n, entityId: 'o-7' }) });
      const stored = await dlq.add(entry);
      expect(stored).toMatchObject({
        observer: 'notify',
        actionIndex: 0,
        actionType: 'webhook',
        errorType: 'http_5xx',
        retryCount: 0,
      });
      expect(stored.event).toEqual(entry.event); // seq survives as a bigint
      expect(stored.attempts).toEqual(entry.attempts);
      // The same failure delivered again updates the item and extends its history.
      const again = await dlq.add({ ...entry, errorMessage: 'second time' });
      expect(again.id).toBe(stored.id);
      expect(again.errorMessage).toBe('second time');
      expect(again.attempts).toHaveLength(2);
      expect(await dlq.count()).toBe(1);
      expect(metrics.dlq).toEqual([1, 1, 1]);
      expect(await dlq.show(stored.id)).toEqual(again);
    });

    it('lists with filters, pages and counts by observer, entity type and error type', async () => {
      const dlq = createDeadLetterQueue(db);
      await dlq.add(failure({ observer: 'a', event: makeEvent({ entityType: 'order' }) }));
      await dlq.add(failure({ observer: 'a', event: makeEvent({ entityType: 'user' }) }));
      await new Promise((resolve) => setTimeout(resolve, 15)); // created_at is commit time
      await dlq.add(
        failure({ observer: 'b', errorType: 'timeout', event: makeEvent({ entityType: 'order' }) }),
      );
      const boundary = (await dlq.list({ observer: 'b' }))[0]!.createdAt;

      expect((await dlq.list()).map((i) => i.observer)).toEqual(['a', 'a', 'b']);
      expect((await dlq.list({ observer: 'a' })).length).toBe(2);
      expect((await dlq.list({ entityType: 'order' })).map((i) => i.observer)).toEqual(['a', 'b']);
      expect((await dlq.list({ since: boundary })).map((i) => i.observer)).toEqual(['b']);
      expect((await dlq.list({ until: boundary })).map((i) => i.observer)).toEqual(['a', 'a']);
      expect((await dlq.list({ limit: 1, offset: 1 })).map((i) => i.event.entityType)).toEqual([
        'user',
      ]);
      const stats = await dlq.stats();
      expect(stats).toMatchObject({
        total: 3,
        byObserver: { a: 2, b: 1 },
        byEntityType: { order: 2, user: 1 },
        byErrorType: { http_5xx: 2, timeout: 1 },
      });
      expect(stats.oldest!.getTime()).toBeLessThanOrEqual(stats.newest!.getTime());
      expect((await dlq.stats({ observer: 'b' })).total).toBe(1);
      await expect(dlq.list({ limit: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it('retries: success removes the item, failure appends to its history', async () => {
      const metrics = recordingMetrics();
      const dlq = createDeadLetterQueue(db, { metrics });
      const item = await dlq.add(failure());
      await expect(dlq.retry(item.id)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });

      expect(await dlq.retry(item.id, { replay: fail })).toEqual({
        id: item.id,
        status: 'failed',
        error: 'still 503',
      });
      const failed = await dlq.show(item.id);
      expect(failed).toMatchObject({ retryCount: 1, errorMessage: 'still 503' });
      expect(failed.attempts).toHaveLength(2);

      dlq.attachReplayer(succeed);
      expect(await dlq.retry(item.id)).toMatchObject({ status: 'succeeded' });
      await expect(dlq.show(item.id)).rejects.toMatchObject({ code: 'DLQ_NOT_FOUND' });
      await expect(dlq.retry(item.id)).rejects.toMatchObject({ code: 'DLQ_NOT_FOUND' });
      expect(metrics.dlq.at(-1)).toBe(0);
    });

    it('retries all matching items once each, and never one item twice at once', async () => {
      const dlq = createDeadLetterQueue(db);
      const good = await dlq.add(failure({ observer: 'good' }));
      await dlq.add(failure({ observer: 'good' }));
      const bad = await dlq.add(failure({ observer: 'bad' }));
      await dlq.add(failure({ observer: 'other' }));
      let calls = 0;
      const replay: DeadLetterReplayer = (item, options) => {
        calls += 1;
        return item.observer === 'bad' ? fail(item, options) : succeed(item, options);
      };
      const all = await dlq.retryAll({
        entityType: 'order',
        replay,
        until: new Date(Date.now() + 60_000),
      });
      expect(all).toMatchObject({ succeeded: 3, failed: 1, busy: 0 });
      expect(calls).toBe(4);
      expect((await dlq.list()).map((i) => i.id)).toEqual([bad.id]);

      // While one retry holds an item, a second one reports it busy instead of running it.
      let release: () => void = () => undefined;
      const slow: DeadLetterReplayer = () =>
        new Promise((resolve) => {
          release = () => {
            resolve({ ok: true, result: { summary: 'ok' }, attempts: [] });
          };
        });
      const first = dlq.retry(bad.id, { replay: slow });
      await waitUntil(
        async () =>
          (
            await db.query(
              'SELECT 1 FROM core.tb_observer_dead_letter WHERE locked_until IS NOT NULL',
            )
          ).rows.length === 1,
      );
      expect(await dlq.retry(bad.id, { replay: succeed })).toEqual({ id: bad.id, status: 'busy' });
      release();
      expect(await first).toMatchObject({ status: 'succeeded' });
      expect(good.id).not.toBe(bad.id);
    });

    it('removes one item or every matching item', async () => {
      const metrics = recordingMetrics();
      const dlq = createDeadLetterQueue(db, { metrics });
      const one = await dlq.add(failure({ observer: 'x' }));
      await dlq.add(failure({ observer: 'x' }));
      await dlq.add(failure({ observer: 'y' }));
      expect(await dlq.remove(one.id)).toBe(true);
      expect(await dlq.remove(one.id)).toBe(false);
      expect(await dlq.removeAll({ observer: 'x' })).toBe(1);
      expect(await dlq.count()).toBe(1);
      expect(metrics.dlq.at(-1)).toBe(1);
      await expect(dlq.show('not-a-uuid')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  });
}

describe.skipIf(pg === undefined)('PostgreSQL', () => {
  suite('PostgreSQL', async () => {
    const database = await createTestDatabase(pg);
    const db = await connectDatabase({ url: database.url });
    return {
      db,
      close: async () => {
        await db.close();
        await database.close();
      },
    };
  });
});

suite('PGlite', async () => {
  const pglite = await createTestPGlite();
  const db = pgliteClient(pglite.db);
  return {
    db,
    close: async () => {
      await db.close();
      await pglite.close();
    },
  };
});

async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition did not hold within 5s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
