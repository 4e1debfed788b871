import { waitFor } from '@fraiseql/testing';
import { describe, expect, it } from 'vitest';

import { isCoreError, type SqlClient } from '../src/index.js';
import { BACKENDS } from './backends.js';

const postgres = BACKENDS.find((backend) => backend.name === 'postgres');
const pglite = BACKENDS.find((backend) => backend.name === 'pglite');

async function copied(db: SqlClient, text: string, params: readonly unknown[] = [], options = {}) {
  const chunks: Buffer[] = [];
  for await (const chunk of db.copyOut!(text, params, options)) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

describe.runIf(postgres?.available === true)('SqlClient.copyOut on PostgreSQL', () => {
  it('streams COPY text with the parameters bound through the setting, typed as inferred', async () => {
    await using open = await postgres!.open();
    const { db } = open;
    await db.exec(`CREATE TABLE t_copy (id int, name text, big bigint, ok boolean, tags text[]);
      INSERT INTO t_copy VALUES
        (1, 'plain', 9007199254740993, true, '{a,b}'),
        (2, E'tab\\there, new\\nline, back\\\\slash', NULL, false, '{c}'),
        (3, 'ünïcødé ✓', -1, NULL, NULL)`);
    const text = await copied(
      db,
      `SELECT id, name, big, ok, tags, $5::text AS echo FROM t_copy
       WHERE id >= $1 AND big IS DISTINCT FROM $2 AND (ok = $3 OR ok IS NULL OR $3 IS NULL)
         AND id = ANY($4) ORDER BY id`,
      [1, 42n, null, [1, 2, 3], "it's $1 \\ \t"],
    );
    expect(text.split('\n')).toEqual([
      "1\tplain\t9007199254740993\tt\t{a,b}\tit's $1 \\\\ \\t",
      "2\ttab\\there, new\\nline, back\\\\slash\t\\N\tf\t{c}\tit's $1 \\\\ \\t",
      "3\tünïcødé ✓\t-1\t\\N\t\\N\tit's $1 \\\\ \\t",
      '',
    ]);
    // Without parameters, and with none in the text.
    expect(await copied(db, 'SELECT 1, NULL::text')).toBe('1\t\\N\n');
  });

  it('runs read-only, with the statement timeout and the role, and refuses what it cannot carry', async () => {
    await using open = await postgres!.open();
    const { db } = open;
    const role = `fraiseql_copy_${Math.random().toString(36).slice(2, 10)}`;
    await db.exec(
      `CREATE ROLE ${role} NOLOGIN; CREATE TABLE t_secret (n int); CREATE SEQUENCE s_copy;`,
    );
    try {
      expect(await copied(db, 'SELECT current_user::text', [], { role })).toBe(`${role}\n`);
      const denied = await copied(db, 'SELECT n FROM t_secret', [], { role }).catch(
        (e: unknown) => e,
      );
      expect((denied as { code?: string }).code).toBe('42501');
      const slow = await copied(db, 'SELECT pg_sleep(2)', [], {
        statementTimeoutMs: 100,
      }).catch((e: unknown) => e);
      expect((slow as { code?: string }).code).toBe('57014');
      // READ ONLY: a read that writes is refused.
      const written = await copied(db, 'SELECT nextval($1::regclass)', ['s_copy']).catch(
        (e: unknown) => e,
      );
      expect((written as { code?: string }).code).toBe('25006');
      const refused = await copied(db, 'SELECT $1::timestamptz', [new Date()]).catch(
        (e: unknown) => e,
      );
      expect(isCoreError(refused, 'INVALID_ARGUMENT')).toBe(true);
      // The pool is still usable after every failure.
      expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.exec(`DROP TABLE t_secret; DROP SEQUENCE s_copy; DROP ROLE ${role}`);
    }
  });

  it('asks for the parameter types again after a COPY failed on a changed schema', async () => {
    await using open = await postgres!.open();
    const { db } = open;
    await db.exec(`CREATE TABLE t_typed (x int); INSERT INTO t_typed VALUES (1)`);
    const text = 'SELECT x FROM t_typed WHERE x = $1';
    expect(await copied(db, text, [1])).toBe('1\n');
    await db.exec(`ALTER TABLE t_typed ALTER COLUMN x TYPE text USING x::text`);
    // The cached type (integer) no longer fits: this COPY fails and drops it…
    const stale = await copied(db, text, ['1']).catch((e: unknown) => e);
    expect((stale as { code?: string }).code).toBe('42883');
    // …and the next one asks PostgreSQL again.
    expect(await copied(db, text, ['1'])).toBe('1\n');
  });

  it('holds PostgreSQL back while the consumer waits, and ends the query at once on abort', async () => {
    await using open = await postgres!.open();
    const { db } = open;
    const abort = new AbortController();
    const chunks = db.copyOut!(
      `SELECT g, repeat('x', 200) FROM generate_series(1, 5000000) g`,
      [],
      { signal: abort.signal },
    )[Symbol.asyncIterator]();
    expect((await chunks.next()).done).toBe(false);
    const active = async (): Promise<string[]> =>
      (
        await db.query<{ wait: string }>(
          `SELECT coalesce(wait_event, state) AS wait FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'COPY%'`,
        )
      ).rows.map((row) => row.wait);
    // Nobody reads: the COPY waits to write to its socket instead of running to the end.
    await waitFor(async () => (await active())[0] === 'ClientWrite', {
      timeoutMs: 5000,
      message: 'COPY held back by the socket',
    });
    abort.abort(new Error('stopped'));
    await expect(chunks.next()).rejects.toThrow('stopped');
    await waitFor(async () => (await active()).length === 0, {
      timeoutMs: 2000,
      message: 'COPY ended with the abort',
    });
  });
});

describe.runIf(pglite?.available === true)('SqlClient.copyOut on PGlite', () => {
  it('is absent: readers use a cursor', async () => {
    await using open = await pglite!.open();
    expect('copyOut' in open.db).toBe(false);
  });
});
