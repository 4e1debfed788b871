import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectDatabase, type SqlClient } from '@fraiseql/core';
import {
  createTempDir,
  createTestDatabase,
  requireService,
  type TempDir,
  type TestDatabase,
} from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const pg = await requireService('postgres');
const SCHEMA = fileURLToPath(new URL('fixtures/library-schema.json', import.meta.url));

describe.skipIf(pg === undefined)('fraiseql generate-views', () => {
  let database: TestDatabase;
  let db: SqlClient;
  let dir: TempDir;

  beforeAll(async () => {
    database = await createTestDatabase(pg);
    db = await connectDatabase({ url: database.url });
    await db.exec(await readFile(new URL('fixtures/library.sql', import.meta.url), 'utf8'));
    dir = await createTempDir('fraiseql-cli-views');
  });

  afterAll(async () => {
    await db.close();
    await database.close();
    await dir.close();
  });

  it('prints the DDL of one entity, which PostgreSQL accepts and which keeps tv_ fresh', async () => {
    const result = await runCli([
      'generate-views',
      'Book',
      '--schema',
      SCHEMA,
      '--database',
      database.url,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('tv_book');
    await db.exec(result.stdout);
    await db.exec(`INSERT INTO tb_author (name) VALUES ('Le Guin');
      INSERT INTO tb_book (fk_author, title) SELECT pk_author, 'The Dispossessed' FROM tb_author`);
    await db.exec(`UPDATE tb_author SET name = 'Ursula K. Le Guin'`);
    const rows = await db.query<{ name: string }>(
      `SELECT data->'author'->>'name' AS name FROM tv_book`,
    );
    expect(rows.rows).toEqual([{ name: 'Ursula K. Le Guin' }]);
  });

  it('writes --all into --out-dir and --check fails once a file is stale', async () => {
    const out = join(dir.path, 'projections');
    const args = ['--schema', SCHEMA, '--database', database.url, '--kind', 'va', '--out-dir', out];
    const written = await runCli(['generate-views', '--all', ...args]);
    expect(written.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['va_author.sql', 'va_book.sql']);
    expect(written.stderr).toContain('[2/2] va_book');

    const check = await runCli(['generate-views', '--all', '--check', '--json', ...args]);
    expect(check.code).toBe(0);
    const report = JSON.parse(check.stdout) as {
      invalid: number;
      stale: number;
      entities: { validation: { valid: boolean } }[];
    };
    expect(report).toMatchObject({ invalid: 0, stale: 0 });
    expect(report.entities.every((entity) => entity.validation.valid)).toBe(true);

    await writeFile(join(out, 'va_book.sql'), '-- edited by hand\n');
    const stale = await runCli(['generate-views', '--all', '--check', ...args]);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toContain(`STALE ${join(out, 'va_book.sql')}`);
  });

  it('names the known types for an unknown entity and asks for an entity or --all', async () => {
    const unknown = await runCli(['generate-views', 'Ghost', '--schema', SCHEMA]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Author, Book');
    const neither = await runCli(['generate-views', '--schema', SCHEMA]);
    expect(neither.code).toBe(2);
  });
});
