import { waitFor } from '@fraiseql/testing';
import { describe, expect, it } from 'vitest';

import type { SqlClient } from '../src/index.js';
import { BACKENDS } from './backends.js';

interface Stamped {
  n: number;
  at: number;
}

const SERIES = `SELECT g AS n, (g * 1.5)::float8 AS x, '2024-01-01 00:00:00.123456+00'::timestamptz AS at,
  (g::bigint * 10000000000) AS big FROM generate_series(1, $1::int) AS g ORDER BY g`;

for (const backend of BACKENDS) {
  describe.skipIf(!backend.available)(`SqlClient.cursor on ${backend.name}`, () => {
    it('yields the rows in batches of batchSize, in order', async () => {
      const database = await backend.open();
      try {
        const sizes: number[] = [];
        const seen: number[] = [];
        for await (const rows of database.db.cursor<{ n: number }>(SERIES, [2500], {
          batchSize: 1000,
        })) {
          sizes.push(rows.length);
          for (const row of rows) seen.push(row.n);
        }
        expect(sizes).toEqual([1000, 1000, 500]);
        expect(seen).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
      } finally {
        await database.close();
      }
    });

    it('yields arrays of PostgreSQL text in raw array mode (microseconds and int8 kept)', async () => {
      const database = await backend.open();
      try {
        const batches: unknown[][][] = [];
        for await (const rows of database.db.cursor<unknown[]>(SERIES, [2], {
          rowMode: 'array',
          raw: true,
        })) {
          batches.push(rows);
        }
        const [first] = batches[0]!;
        expect(first).toHaveLength(4);
        expect(first![0]).toBe('1');
        expect(first![1]).toBe('1.5');
        expect(String(first![2])).toMatch(/^2024-01-01 00:00:00\.123456\+00/);
        expect(first![3]).toBe('10000000000');
      } finally {
        await database.close();
      }
    });

    it('closes the cursor when the consumer stops early, and the client stays usable', async () => {
      const database = await backend.open();
      try {
        let batches = 0;
        for await (const rows of database.db.cursor(SERIES, [100_000], { batchSize: 100 })) {
          batches++;
          expect(rows).toHaveLength(100);
          if (batches === 2) break;
        }
        expect(batches).toBe(2);
        const { rows } = await database.db.query<{ one: number }>('SELECT 1 AS one');
        expect(rows[0]?.one).toBe(1);
        if (backend.name === 'postgres') {
          const other = database.connectAnother();
          await waitFor(
            async () => {
              const open = await other.query<{ count: string }>(
                `SELECT count(*)::text AS count FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()
                   AND (state LIKE 'idle in transaction%' OR state = 'active')`,
              );
              return open.rows[0]?.count === '0';
            },
            { timeoutMs: 5000, message: 'no transaction left open by the cursor' },
          );
        } else {
          const cursors = await database.db.query<{ count: number }>(
            "SELECT count(*)::int AS count FROM pg_cursors WHERE name LIKE 'fraiseql_cursor_%'",
          );
          expect(cursors.rows[0]?.count).toBe(0);
        }
      } finally {
        await database.close();
      }
    });

    it('stops with the abort reason and releases the cursor when the signal aborts', async () => {
      const database = await backend.open();
      try {
        const controller = new AbortController();
        const reason = new Error('stop now');
        let batches = 0;
        const error = await (async () => {
          for await (const rows of database.db.cursor(SERIES, [100_000], {
            batchSize: 100,
            signal: controller.signal,
          })) {
            expect(rows).toHaveLength(100);
            batches++;
            if (batches === 3) controller.abort(reason);
          }
        })().catch((e: unknown) => e);
        expect(error).toBe(reason);
        expect(batches).toBe(3);
        const { rows } = await database.db.query<{ one: number }>('SELECT 1 AS one');
        expect(rows[0]?.one).toBe(1);
      } finally {
        await database.close();
      }
    });

    it.skipIf(backend.name !== 'postgres')(
      'fetches the next batch while the consumer works on the current one, and no further',
      async () => {
        const database = await backend.open();
        // Each row carries the database's clock at the moment the row was produced.
        const text = `SELECT g AS n, (extract(epoch FROM clock_timestamp()) * 1e6)::float8 AS at
          FROM generate_series(1, 30) AS g`;
        const now = async (): Promise<number> => {
          const { rows } = await database.db.query<{ at: number }>(
            'SELECT (extract(epoch FROM clock_timestamp()) * 1e6)::float8 AS at',
          );
          return rows[0]!.at;
        };
        const cursor = database.db.cursor<Stamped>(text, [], { batchSize: 10 });
        const batches = cursor[Symbol.asyncIterator]();
        try {
          const first = await batches.next();
          expect(first.done).toBe(false);
          await new Promise((resolve) => setTimeout(resolve, 200));
          const asked = await now();
          const second = (await batches.next()).value as Stamped[];
          const third = (await batches.next()).value as Stamped[];
          // The second batch was produced before the consumer asked for it; the third only
          // after (one batch ahead, not the whole result).
          expect(second[0]?.n).toBe(11);
          expect(Math.max(...second.map((row) => row.at))).toBeLessThan(asked);
          expect(Math.min(...third.map((row) => row.at))).toBeGreaterThan(asked);
          expect((await batches.next()).done).toBe(true);
        } finally {
          await batches.return?.(undefined);
          await database.close();
        }
      },
    );

    it.skipIf(backend.name !== 'postgres')(
      'runs in a read-only transaction under the statement timeout, and the pool stays usable',
      async () => {
        const database = await backend.open();
        const read = async (text: string, options: { statementTimeoutMs?: number } = {}) => {
          const rows: unknown[] = [];
          for await (const batch of database.db.cursor(text, [], options)) rows.push(...batch);
          return rows;
        };
        try {
          await database.db.exec('CREATE TABLE t_cursor_ro (n int)');
          const write = await read(
            'WITH w AS (INSERT INTO t_cursor_ro VALUES (1) RETURNING n) SELECT n FROM w',
          ).catch((e: unknown) => e);
          expect((write as { code?: string }).code).toBe('25006'); // read_only_sql_transaction
          const slow = await read('SELECT pg_sleep(5)', { statementTimeoutMs: 50 }).catch(
            (e: unknown) => e,
          );
          expect((slow as { code?: string }).code).toBe('57014'); // query_canceled
          expect(
            await read('SELECT n FROM generate_series(1, 3) n', { statementTimeoutMs: 5000 }),
          ).toHaveLength(3);
          // The timeout was local to the cursor's transaction.
          const { rows } = await database.db.query<{ timeout: string }>(
            'SELECT current_setting($1) AS timeout',
            ['statement_timeout'],
          );
          expect(rows[0]?.timeout).not.toBe('50ms');
          const count = await database.db.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM t_cursor_ro',
          );
          expect(count.rows[0]?.n).toBe(0);
        } finally {
          await database.close();
        }
      },
    );

    it("runs as the given role for the read only, with that role's grants", async () => {
      const database = await backend.open();
      const role = `fraiseql_reader_${Math.random().toString(36).slice(2, 10)}`;
      const read = async (client: SqlClient, text: string) => {
        const rows: unknown[][] = [];
        for await (const batch of client.cursor<unknown[]>(text, [], { role, rowMode: 'array' })) {
          rows.push(...batch);
        }
        return rows;
      };
      try {
        await database.db.exec(`CREATE ROLE ${role} NOLOGIN;
          CREATE TABLE t_open (n int); INSERT INTO t_open VALUES (1), (2);
          CREATE TABLE t_closed (n int); INSERT INTO t_closed VALUES (3);
          GRANT SELECT ON t_open TO ${role}`);
        expect(
          await read(database.db, 'SELECT current_user::text, n FROM t_open ORDER BY n'),
        ).toEqual([
          [role, 1],
          [role, 2],
        ]);
        const denied = await read(database.db, 'SELECT n FROM t_closed').catch((e: unknown) => e);
        expect((denied as { code?: string }).code).toBe('42501'); // insufficient_privilege
        // The role ended with the read: the client's own queries run as before.
        const { rows } = await database.db.query<{ user: string; n: number }>(
          'SELECT current_user::text AS user, count(*)::int AS n FROM t_closed',
        );
        expect(rows[0]?.user).not.toBe(role);
        expect(rows[0]?.n).toBe(1);
        // A session cursor runs its own transaction, so it takes the role too.
        expect(await database.db.session((s) => read(s, 'SELECT current_user::text'))).toEqual([
          [role],
        ]);
        // Inside the caller's transaction the role would outlive the read: refused.
        const inTransaction = await database.db
          .transaction((tx) => read(tx, 'SELECT 1'))
          .catch((e: unknown) => e);
        expect(inTransaction).toMatchObject({ code: 'INVALID_ARGUMENT' });
        // A role that does not exist fails the read, and the client stays usable.
        const unknown = await (async () => {
          for await (const batch of database.db.cursor('SELECT 1', [], { role: `${role}_x` })) {
            expect(batch).toBeUndefined();
          }
        })().catch((e: unknown) => e);
        expect((unknown as Error).message).toContain('does not exist');
        expect((await database.db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      } finally {
        await database.db.exec(`DROP OWNED BY ${role}; DROP ROLE ${role}`).catch(() => undefined);
        await database.close();
      }
    });

    it('reads inside a transaction what the transaction wrote', async () => {
      const database = await backend.open();
      try {
        await database.db.exec('CREATE TABLE t_cursor (n int)');
        const seen = await database.db.transaction(async (tx) => {
          await tx.query('INSERT INTO t_cursor SELECT generate_series(1, 30)');
          let count = 0;
          for await (const rows of tx.cursor('SELECT n FROM t_cursor', [], { batchSize: 7 })) {
            count += rows.length;
          }
          return count;
        });
        expect(seen).toBe(30);
      } finally {
        await database.close();
      }
    });
  });
}
