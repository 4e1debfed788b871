import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { coreMigrations } from './core-migrations.js';
import { loadMigrationsFromDirectory } from './load-migrations-from-directory.js';
import { migrationChecksum } from './migration.js';

const dirs: string[] = [];

async function directory(files: Record<string, string>): Promise<URL> {
  const dir = await mkdtemp(join(tmpdir(), 'fraiseql-migrations-'));
  dirs.push(dir);
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql);
  return pathToFileURL(`${dir}/`);
}

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('loadMigrationsFromDirectory', () => {
  it('reads NNNN_name.sql files in number order and ignores other files', async () => {
    const url = await directory({
      '0002_second.sql': 'SELECT 2;\n',
      '0001_first.sql': 'SELECT 1;\n',
      'README.md': '# notes',
    });
    const migrations = await loadMigrationsFromDirectory('shop', url).load();
    expect(migrations).toEqual([
      { id: '0001_first', sql: 'SELECT 1;\n', checksum: migrationChecksum('SELECT 1;\n') },
      { id: '0002_second', sql: 'SELECT 2;\n', checksum: migrationChecksum('SELECT 2;\n') },
    ]);
  });

  it('names a misnamed file and a missing directory', async () => {
    const url = await directory({ '0001_first.sql': 'SELECT 1', 'second.sql': 'SELECT 2' });
    await expect(loadMigrationsFromDirectory('shop', url).load()).rejects.toThrow(
      'file "second.sql"',
    );
    const missing = new URL('does-not-exist/', url);
    await expect(loadMigrationsFromDirectory('shop', missing).load()).rejects.toThrow(
      `cannot read directory ${missing.href}`,
    );
  });

  it('finds the SQL shipped with the package', async () => {
    const migrations = await coreMigrations.load();
    expect(coreMigrations.namespace).toBe('core');
    expect(migrations.map((migration) => migration.id)).toEqual([
      '0001_change_log',
      '0002_capture',
      '0003_capture_notify',
      '0004_capture_per_table',
      '0005_change_log_reader',
    ]);
    expect(migrations[0]?.sql).toContain('CREATE TABLE IF NOT EXISTS core.tb_entity_change_log');
  });
});
