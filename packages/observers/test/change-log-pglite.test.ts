import type { EntityEvent } from '@fraiseql/core';
import { waitFor } from '@fraiseql/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createObserverRuntime } from '../src/runtime/observer-runtime.js';
import { createChangeLogSource } from '../src/sources/change-log/change-log-source.js';
import {
  createChangeLogPGlite,
  seqs,
  writeEvents,
  type ChangeLogDatabase,
} from './fixtures/change-log-fixture.js';

describe('change-log source on PGlite (embedded PostgreSQL, one connection)', () => {
  let database: ChangeLogDatabase | undefined;
  afterEach(async () => {
    await database?.close();
  });

  it('delivers through the runtime on NOTIFY, and a restart resumes where it stopped', async () => {
    database = await createChangeLogPGlite();
    const { db } = database;
    const handled: EntityEvent[] = [];
    const runtime = createObserverRuntime({
      // An hour-long safety poll: only NOTIFY can wake the source within the test.
      sources: createChangeLogSource(db, { consumer: 'embedded', pollInterval: '1h' }),
      handler: (event) => {
        handled.push(event);
        return Promise.resolve();
      },
    });
    await runtime.start();
    const first = await writeEvents(db, 12);
    await waitFor(() => handled.length >= 12, { message: '12 events handled' });
    expect(seqs(handled)).toEqual(first.map((row) => row.seq));
    await waitFor(async () => (await runtime.health()).lagEvents === 0, { message: 'no lag' });
    await runtime.close();

    const second = await writeEvents(db, 4);
    const again: EntityEvent[] = [];
    const source = createChangeLogSource(db, { consumer: 'embedded', pollInterval: '1h' });
    await source.start({
      onDelivery: async (delivery) => {
        again.push(delivery.event);
        await delivery.settle({ status: 'done' });
      },
    });
    await waitFor(() => again.length >= 4, { message: '4 events after restart' });
    expect(await source.poll()).toBe(0);
    expect(seqs(again)).toEqual(second.map((row) => row.seq));
    await source.close();
  });
});
