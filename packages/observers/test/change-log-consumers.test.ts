import type { Delivery } from '@fraiseql/core';
import { requireService, waitFor } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listChangeLogConsumers } from '../src/index.js';
import { createChangeLogSource } from '../src/sources/change-log/change-log-source.js';
import {
  createChangeLogDatabase,
  writeEvents,
  type ChangeLogDatabase,
} from './fixtures/change-log-fixture.js';

const postgres = await requireService('postgres');

describe.skipIf(postgres === undefined)('change-log consumer status from the database', () => {
  let database: ChangeLogDatabase;

  beforeAll(async () => {
    if (postgres === undefined) throw new Error('unreachable');
    database = await createChangeLogDatabase(postgres);
  });

  afterAll(async () => {
    await database.close();
  });

  it('shows claimed-but-unfinished rows in flight, then caught up, then new rows unclaimed', async () => {
    const { db } = database;
    expect(await listChangeLogConsumers(db)).toEqual([]);
    const written = await writeEvents(db, 3);
    const held: Delivery[] = [];
    const source = createChangeLogSource(db, { consumer: 'mailer', pollInterval: '50ms' });
    try {
      await source.start({
        onDelivery: (delivery) => {
          held.push(delivery);
        },
      });
      await waitFor(() => held.length === 3 || undefined, { message: 'three deliveries' });
      const [busy] = await listChangeLogConsumers(db);
      expect(busy).toMatchObject({ consumer: 'mailer', inFlight: 3, unclaimed: 0 });
      expect(busy?.cursorSeq).toBe(written[2]?.seq);
      expect(busy?.oldestPendingSeconds).toBeGreaterThanOrEqual(0);

      for (const delivery of held) await delivery.settle({ status: 'done' });
      await waitFor(
        async () => ((await listChangeLogConsumers(db))[0]?.inFlight === 0 ? true : undefined),
        { message: 'claims finished' },
      );
    } finally {
      await source.close();
    }
    const [idle] = await listChangeLogConsumers(db);
    expect(idle).toMatchObject({ inFlight: 0, unclaimed: 0, oldestPendingSeconds: undefined });

    await writeEvents(db, 2);
    const [behind] = await listChangeLogConsumers(db);
    expect(behind).toMatchObject({ consumer: 'mailer', inFlight: 0, unclaimed: 2 });
  });
});
