import { describe, expect, it } from 'vitest';

import { isCoreError } from '../errors/core-error.js';
import {
  createMigration,
  defineMigrationSet,
  isTransactional,
  migrationChecksum,
} from './migration.js';

describe('migrations', () => {
  it('checksums the SQL, reading CRLF as LF', () => {
    const lf = createMigration('0001_a', 'CREATE TABLE a (id int);\nSELECT 1;\n');
    const crlf = createMigration('0001_a', 'CREATE TABLE a (id int);\r\nSELECT 1;\r\n');
    expect(lf.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(crlf.checksum).toBe(lf.checksum);
    expect(migrationChecksum('CREATE TABLE a (id bigint);\n')).not.toBe(lf.checksum);
  });

  it('rejects ids that are not NNNN_name', () => {
    for (const id of ['1_a', '0001', '0001 a', 'a_0001', '0001_a.sql']) {
      let caught: unknown;
      try {
        createMigration(id, 'SELECT 1');
      } catch (error) {
        caught = error;
      }
      expect(isCoreError(caught, 'INVALID_ARGUMENT')).toBe(true);
      expect((caught as Error).message).toContain(JSON.stringify(id));
    }
  });

  it('reads the no-transaction marker from the first non-blank line only', () => {
    const marked = createMigration('0001_a', '\n  -- fraiseql:no-transaction\nCREATE INDEX ...');
    const later = createMigration('0001_a', 'SELECT 1;\n-- fraiseql:no-transaction\n');
    expect(isTransactional(marked)).toBe(false);
    expect(isTransactional(later)).toBe(true);
  });

  it('orders a set by id and rejects two migrations with one number', async () => {
    const set = defineMigrationSet('shop', [
      { id: '0002_b', sql: 'SELECT 2' },
      { id: '0010_c', sql: 'SELECT 10' },
      { id: '0001_a', sql: 'SELECT 1' },
    ]);
    expect((await set.load()).map((migration) => migration.id)).toEqual([
      '0001_a',
      '0002_b',
      '0010_c',
    ]);
    expect(() =>
      defineMigrationSet('shop', [
        { id: '0001_a', sql: 'SELECT 1' },
        { id: '0001_b', sql: 'SELECT 1' },
      ]),
    ).toThrow('migrations shop/0001_a and shop/0001_b share the number 0001');
    expect(() => defineMigrationSet('Shop Dept', [])).toThrow('migration namespace "Shop Dept"');
  });
});
