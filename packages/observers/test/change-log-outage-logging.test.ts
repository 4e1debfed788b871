import type { SqlClient } from '@fraiseql/core';
import { requireService, waitFor } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChangeLogSource } from '../src/index.js';
import {
  createChangeLogDatabase,
  recordingLogger,
  writeEvents,
  type ChangeLogDatabase,
} from './fixtures/change-log-fixture.js';

const postgres = await requireService('postgres');

describe.skipIf(postgres === undefined)('change-log source while its claim rounds fail', () => {
  let database: ChangeLogDatabase;

  beforeAll(async () => {
    database = await createChangeLogDatabase(postgres!);
  });
  afterAll(async () => {
    await database.close();
  });

  it('logs the first failed round and the recovery, not every retry, and delivers afterwards', async () => {
    const { db } = database;
    let failing = false;
    let failedRounds = 0;
    const lost = (): Promise<never> => {
      failedRounds += 1;
      return Promise.reject(new Error('Connection terminated unexpectedly'));
    };
    // The database as the source sees it while the server is away: no statement gets through
    // (with listen off and nothing in flight, the source's only statements are claim rounds).
    const flaky: SqlClient = {
      ...db,
      query: (sql, params) => (failing ? lost() : db.query(sql, params)),
      transaction: (fn) => (failing ? lost() : db.transaction(fn)),
    };
    const logger = recordingLogger();
    const source = createChangeLogSource(flaky, {
      consumer: 'outage-logging',
      listen: false,
      pollInterval: '100ms',
      logger,
    });
    const delivered: string[] = [];
    await source.start({
      onDelivery: async (delivery) => {
        delivered.push(delivery.event.id);
        await delivery.settle({ status: 'done' });
      },
    });
    try {
      failing = true;
      await waitFor(() => failedRounds >= 4, { message: 'four failed claim rounds' });
      const written = await writeEvents(db, 3);
      failing = false;
      await waitFor(() => written.every((row) => delivered.includes(row.id)));
      // Logged once the round that delivered them has finished.
      await waitFor(() => logger.lines.some((line) => line.message.includes('work again')));
      const above = logger.lines.filter((line) => line.level !== 'debug');
      expect(above.filter((line) => line.message.includes('claim round failed'))).toHaveLength(1);
      expect(above.filter((line) => line.message.includes('work again'))).toHaveLength(1);
      expect(
        logger.lines.filter((line) => line.message.includes('failed again')).length,
      ).toBeGreaterThanOrEqual(3);
    } finally {
      await source.close();
    }
  });
});
