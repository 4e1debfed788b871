import type { SqlClient } from '@fraiseql/core';
import type { Logger } from 'pino';

const CUSTOMERS = [
  { name: 'Ada Lovelace', email: 'ada@example.com', tier: 'gold' },
  { name: 'Grace Hopper', email: 'grace@example.com', tier: 'standard' },
  { name: 'Edsger Dijkstra', email: 'edsger@example.com', tier: 'standard' },
] as const;

const NEXT_STATUS: Readonly<Record<string, string>> = { pending: 'paid', paid: 'shipped' };

/** Writes demo rows on a timer so a newcomer sees changes flow. */
export interface DemoWriter {
  /** Inserts one order (for a random customer) and advances one older order's status. */
  tick(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the demo writer: seeds customers when empty, then ticks every `intervalMs`. */
export async function startDemoWriter(
  db: SqlClient,
  intervalMs: number,
  logger: Logger,
): Promise<DemoWriter> {
  const { rows } = await db.query<{ count: string | number }>(
    'SELECT count(*) AS count FROM demo.tb_customer',
  );
  if (Number(rows[0]?.count ?? 0) === 0) {
    for (const customer of CUSTOMERS) {
      await db.query('INSERT INTO demo.tb_customer (name, email, tier) VALUES ($1, $2, $3)', [
        customer.name,
        customer.email,
        customer.tier,
      ]);
    }
  }
  let running: Promise<void> = Promise.resolve();
  const tick = async (): Promise<void> => {
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO demo.tb_order (fk_customer, total)
         SELECT pk_customer, round((random() * 200 + 5)::numeric, 2)
         FROM demo.tb_customer ORDER BY random() LIMIT 1`,
      );
    });
    const { rows: candidates } = await db.query<{ pk_order: string | number; status: string }>(
      `SELECT pk_order, status FROM demo.tb_order WHERE status <> 'shipped' ORDER BY pk_order LIMIT 1`,
    );
    const candidate = candidates[0];
    const next = candidate === undefined ? undefined : NEXT_STATUS[candidate.status];
    if (candidate !== undefined && next !== undefined) {
      await db.query('UPDATE demo.tb_order SET status = $1 WHERE pk_order = $2', [
        next,
        String(candidate.pk_order),
      ]);
    }
  };
  const timer = setInterval(() => {
    running = running.then(tick).catch((error: unknown) => {
      logger.warn({ err: error }, 'demo write failed');
    });
  }, intervalMs);
  timer.unref();
  return {
    tick,
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
