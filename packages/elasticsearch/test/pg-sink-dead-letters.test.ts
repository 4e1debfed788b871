// The sink's PostgreSQL dead-letter table on a real PostgreSQL.
import { migrate, pgClient } from '@fraiseql/core';
import { createTestDatabase, requireService } from '@fraiseql/testing';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

import { createPgSinkDeadLetters, elasticsearchMigrations } from '../src/index.js';

const postgres = await requireService('postgres');

describe.skipIf(postgres === undefined)('PostgreSQL sink dead letters', () => {
  it('stores refused documents exactly, lists newest first, counts and removes them', async () => {
    const db = await createTestDatabase(postgres);
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const sql = pgClient(pool);
    try {
      await migrate(sql, { sets: [elasticsearchMigrations] });
      await migrate(sql, { sets: [elasticsearchMigrations] });
      const letters = createPgSinkDeadLetters(sql);
      const document = '{"data":{"text":"quote \\" backslash \\\\ \\u0000? no: \\u2028"},"seq":1}';
      await letters.add([
        {
          eventId: 'e-1',
          entityType: 'Order',
          entityId: "o'1",
          index: 'fraiseql-events-2026.05',
          operation: 'index',
          document,
          status: 400,
          errorType: 'document_parsing_exception',
          errorReason: 'failed to parse field [data.text]',
        },
      ]);
      await letters.add([
        {
          eventId: 'e-2',
          entityType: 'Order',
          entityId: 'o-2',
          index: 'fraiseql-events-2026.05',
          operation: 'index',
          document: '{}',
          errorType: 'serialization',
          errorReason: 'Do not know how to serialize a BigInt',
        },
      ]);
      expect(await letters.count()).toBe(2);
      const listed = await letters.list();
      expect(listed.map((item) => item.eventId)).toEqual(['e-2', 'e-1']);
      expect(listed[1]).toMatchObject({ entityId: "o'1", document, status: 400 });
      expect(listed[0]?.status).toBeUndefined();
      expect(await letters.remove([listed[0]?.id ?? ''])).toBe(1);
      expect(await letters.count()).toBe(1);
    } finally {
      await pool.end();
      await db.close();
    }
  });
});
