import type { Delivery } from '@fraiseql/core';
import { requireService, waitFor } from '@fraiseql/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChangeLogSource } from '../src/sources/change-log/change-log-source.js';
import {
  createChangeLogDatabase,
  seqs,
  writeEvents,
  type ChangeLogDatabase,
} from './fixtures/change-log-fixture.js';

const postgres = await requireService('postgres');

describe.skipIf(postgres === undefined)('change-log claims by batch', () => {
  let database: ChangeLogDatabase;

  // A database per test: each consumer starts at the beginning of its own log.
  beforeEach(async () => {
    database = await createChangeLogDatabase(postgres!);
  });
  afterEach(async () => {
    await database.close();
  });

  async function count(sql: string): Promise<number> {
    const result = await database.db.query<{ n: string }>(sql);
    return Number(result.rows[0]?.n ?? 0);
  }

  it('claims without JIT compilation, whatever the planner estimates for the log', async () => {
    // auto_explain reports the plan of the statement inside the claim function; with every
    // statement's cost over jit_above_cost, only the function's own setting keeps JIT out.
    await writeEvents(database.db, 10);
    const client = new pg.Client({ connectionString: database.url });
    const notices: string[] = [];
    client.on('notice', (notice) => notices.push(notice.message ?? ''));
    await client.connect();
    try {
      await client.query("INSERT INTO core.tb_observer_checkpoint (consumer) VALUES ('jit')");
      for (const statement of [
        "LOAD 'auto_explain'",
        'SET auto_explain.log_min_duration = 0',
        'SET auto_explain.log_nested_statements = on',
        'SET auto_explain.log_level = notice',
        'SET jit_above_cost = 0',
      ]) {
        await client.query(statement);
      }
      const claimed = await client.query(
        "SELECT * FROM core.fn_observer_claim_batch('jit', 5, 'w', 30000)",
      );
      expect(claimed.rows).toHaveLength(5);
      const inner = notices.filter((message) => message.includes('FROM fresh'));
      expect(inner.length).toBeGreaterThan(0);
      for (const plan of inner) expect(plan).not.toContain('JIT:');
      // The check can see JIT where it happens: the outer statement, which has no such setting.
      expect(notices.some((message) => message.includes('JIT:'))).toBe(true);
    } finally {
      await client.end();
    }
  });

  it('writes one claim row per batch, not per event, and leaves the claim tables empty and small', async () => {
    const { db } = database;
    const total = 3000;
    const written = await writeEvents(db, total);
    const source = createChangeLogSource(db, { consumer: 'bounded', batchSize: 100 });
    const delivered: bigint[] = [];
    try {
      await source.start({
        maxInFlight: 200,
        onDelivery: async (delivery: Delivery) => {
          delivered.push(delivery.event.seq);
          await delivery.settle({ status: 'done' });
        },
      });
      await waitFor(() => delivered.length >= total, { timeoutMs: 60_000 });
      await waitFor(async () => (await source.backlog()).events === 0, {
        message: 'every claim finished',
      });
    } finally {
      await source.close();
    }
    expect(delivered).toEqual(seqs(written));
    expect(await count('SELECT count(*) AS n FROM core.tb_observer_claim_batch')).toBe(0);
    // No event ever got a claim row of its own: the per-event table was never written.
    expect(await count("SELECT pg_relation_size('core.tb_observer_claim') AS n")).toBe(0);
    // 30 batches inserted, updated in place and deleted, with no vacuum: a page or two, where a
    // row per event inserted and deleted would have left 3000 dead rows (about 20 pages).
    expect(
      await count("SELECT pg_relation_size('core.tb_observer_claim_batch') AS n"),
    ).toBeLessThanOrEqual(2 * 8192);
  });

  it('hands a retried row of a batch to a claim of its own and finishes the batch around it', async () => {
    const { db } = database;
    const written = await writeEvents(db, 10);
    const source = createChangeLogSource(db, { consumer: 'retry-one', batchSize: 10 });
    const attempts = new Map<bigint, number[]>();
    const target = written[4]!.seq;
    try {
      await source.start({
        onDelivery: async (delivery: Delivery) => {
          const seq = delivery.event.seq;
          attempts.set(seq, [...(attempts.get(seq) ?? []), delivery.attempt]);
          if (seq === target && delivery.attempt === 1) {
            await delivery.settle({ status: 'retry', delayMs: 50, error: new Error('later') });
            return;
          }
          await delivery.settle({ status: 'done' });
        },
      });
      await waitFor(() => attempts.get(target)?.length === 2, { message: 'the retry came back' });
      await waitFor(async () => (await source.backlog()).events === 0, {
        message: 'every claim finished',
      });
    } finally {
      await source.close();
    }
    expect(attempts.get(target)).toEqual([1, 2]);
    for (const row of written) if (row.seq !== target) expect(attempts.get(row.seq)).toEqual([1]);
    expect(
      await count(
        "SELECT count(*) AS n FROM core.tb_observer_claim_batch WHERE consumer = 'retry-one'",
      ),
    ).toBe(0);
    expect(
      await count("SELECT count(*) AS n FROM core.tb_observer_claim WHERE consumer = 'retry-one'"),
    ).toBe(0);
  });
});
