import { afterAll, describe, expect, it } from 'vitest';

import {
  createChangeLogReader,
  isCoreError,
  migrate,
  readChangeLogPage,
  readChangeLogText,
  type ChangeLogPosition,
  type ChangeLogTextPage,
  type SqlClient,
} from '../src/index.js';
import { BACKENDS, closeBackends } from './backends.js';
import { PageSplitter } from '../src/change-log/read-change-log-text.js';
import { holdOpen } from './change-log-helpers.js';

afterAll(closeBackends);

const postgres = BACKENDS.find((backend) => backend.name === 'postgres');
const pglite = BACKENDS.find((backend) => backend.name === 'pglite');

// Object ids that COPY must escape, and `skip` rows the condition does not admit.
// Two ids far longer than a socket read, so lines are cut between chunks.
const IDS = [
  'a',
  'tab\there',
  'new\nline',
  'back\\slash',
  'skip',
  'é😀\r\b\f\v',
  'x'.repeat(200_000),
  'skip',
  'é'.repeat(70_000),
  'z',
];
const SELECT = { select: ['l.object_id', "l.object_data ->> 'n'"], when: "l.object_id <> 'skip'" };

async function write(db: SqlClient, ids: readonly string[]): Promise<void> {
  for (const [n, id] of ids.entries()) {
    await db.query(
      `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
       VALUES ('order', $1, 'INSERT', jsonb_build_object('n', $2::int))`,
      [id, n],
    );
  }
}

/** The admitted rows' columns, unescaped (COPY text format). */
function lines(page: Pick<ChangeLogTextPage, 'buffers' | 'starts' | 'ends'>): string[][] {
  const rows: string[][] = [];
  for (let i = 0; i < page.starts.length; i++) {
    const line = page.buffers[i]!.toString('utf8', page.starts[i], page.ends[i]! - 1);
    rows.push(line.split('\t').map(unescape));
  }
  return rows;
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
const unescape = (field: string): string =>
  field.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c);

describe.runIf(postgres?.available === true)('readChangeLogText on PostgreSQL', () => {
  it('reads the pages readChangeLogPage reads, admitted rows as COPY text and the rest by key', async () => {
    await using open = await postgres!.open();
    const { db } = open;
    await migrate(db);
    await write(db, IDS);

    let after: ChangeLogPosition = { transactionId: 0n, seq: 0n };
    const text: string[][] = [];
    const others: string[] = [];
    for (let pages = 0; pages < 10; pages++) {
      const page = await readChangeLogText(db, { ...SELECT, after, limit: 3 });
      const rows = await readChangeLogPage(db, { after, limit: 3 });
      // Same rows, same end, same horizon rule.
      expect(page.next).toEqual(rows.next);
      expect(page.full).toBe(rows.full);
      expect(page.rows).toBe(rows.rows.length);
      expect(page.starts.length + page.others.length).toBe(page.rows);
      text.push(...lines(page));
      others.push(...page.others);
      after = page.next;
      if (page.rows === 0) break;
    }
    expect(text).toEqual(IDS.flatMap((id, n) => (id === 'skip' ? [] : [[id, String(n)]])));
    const skipped = await db.query<{ pk: string }>(
      `SELECT pk_entity_change_log::text AS pk FROM core.tb_entity_change_log
       WHERE object_id = 'skip' ORDER BY 1::int`,
    );
    expect(others).toEqual(skipped.rows.map((row) => row.pk));
  });

  it('stops below an open transaction and returns its rows once it commits', async () => {
    await using open = await postgres!.open();
    const { db } = open;
    await migrate(db);
    await write(db, ['a']);
    const late = open.connectAnother();
    const slow = await holdOpen(late, (tx) => write(tx, ['b']));
    await write(db, ['c']);
    let after: ChangeLogPosition = { transactionId: 0n, seq: 0n };
    const read = async (): Promise<string[]> => {
      const page = await readChangeLogText(db, { ...SELECT, after, limit: 100 });
      after = page.next;
      return lines(page).map(([id]) => id!);
    };
    expect(await read()).toEqual(['a']);
    expect(await read()).toEqual([]);
    await slow.commit();
    await late.close();
    expect(await read()).toEqual(['b', 'c']);
    expect(await read()).toEqual([]);
  });

  it('a reader converts the rows not admitted: events, malformed rows, NOOP skipped', async () => {
    await using open = await postgres!.open();
    const { db } = open;
    await migrate(db);
    await write(db, ['a', 'skip']);
    await db.query(
      `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
       VALUES ('order', 'skip', 'NOOP', NULL), ('order', 'skip', 'INSERT', '[1]'), ('order', 'b', 'UPDATE', '{"n": 9}')`,
    );
    const reader = createChangeLogReader(db, { reader: 'text', pageSize: 100, pollInterval: 10 });
    await reader.acquire();
    const page = await reader.readText(SELECT);
    expect(lines(page)).toEqual([
      ['a', '0'],
      ['b', '9'],
    ]);
    expect(page.events.map((event) => [event.entityId, event.data])).toEqual([['skip', { n: 1 }]]);
    expect(page.malformed).toHaveLength(1);
    expect(page.malformed[0]?.error).toMatch(/object_data/);
    await reader.commit(page.end);
    // Nothing new: the next read waits until aborted.
    await expect(reader.readText(SELECT, AbortSignal.timeout(100))).rejects.toThrow();
    await reader.close();
  });
});

describe('PageSplitter', () => {
  it('finds the same lines wherever the chunks are cut, down to one byte', () => {
    const text = Buffer.from('9\t1\t1\tt\ta\tb\n9\t1\t2\tf\t\\N\t\\N\n9\t2\t3\tt\té\\t\tlast\n');
    const read = (size: number): string[] => {
      const splitter = new PageSplitter(10);
      for (let at = 0; at < text.length; at += size) splitter.push(text.subarray(at, at + size));
      const page = splitter.end({ transactionId: 0n, seq: 0n });
      expect(page).toMatchObject({ rows: 3, others: ['2'], horizon: 9n, full: false });
      expect(page.next).toEqual({ transactionId: 9n, seq: 0n });
      return [...page.starts].map((start, i) =>
        page.buffers[i]!.toString('utf8', start, page.ends[i]),
      );
    };
    const whole = read(text.length);
    expect(whole).toEqual(['a\tb\n', 'é\\t\tlast\n']);
    for (let size = 1; size < text.length; size++) expect(read(size)).toEqual(whole);
  });

  it('grows with the rows, whatever the page size', () => {
    const splitter = new PageSplitter(Number.MAX_SAFE_INTEGER);
    const line = Buffer.from('9\t1\t1\tt\tx\n');
    for (let n = 0; n < 3000; n++) splitter.push(line);
    const page = splitter.end({ transactionId: 0n, seq: 0n });
    expect(page.rows).toBe(3000);
    expect([...page.starts].every((start) => start === 8)).toBe(true);
    expect([...page.ends].every((end) => end === line.length)).toBe(true);
  });

  it('refuses a page cut inside a line', () => {
    const splitter = new PageSplitter(10);
    splitter.push(Buffer.from('9\t1\t1\tt\ta'));
    expect(() => splitter.end({ transactionId: 0n, seq: 0n })).toThrow(/without its newline/);
  });
});

describe.runIf(pglite?.available === true)('readChangeLogText on PGlite', () => {
  it('refuses: PGlite has no COPY', async () => {
    await using open = await pglite!.open();
    await migrate(open.db);
    const error: unknown = await readChangeLogText(open.db, {
      ...SELECT,
      after: { transactionId: 0n, seq: 0n },
      limit: 10,
    }).catch((caught: unknown) => caught);
    expect(isCoreError(error, 'INVALID_ARGUMENT')).toBe(true);
  });
});
