import { defineMigrationSet, type SqlClient } from '@fraiseql/core';

import type { SinkDeadLetter, SinkDeadLetters, StoredSinkDeadLetter } from './sink-dead-letters.js';

const TABLE = 'elasticsearch.tb_sink_dead_letter';

/**
 * The migrations of `@fraiseql/elasticsearch` (namespace `elasticsearch`): the sink's
 * dead-letter table. Apply with `migrate(db, { sets: [elasticsearchMigrations] })`.
 */
export const elasticsearchMigrations = defineMigrationSet('elasticsearch', [
  {
    id: '0001_sink_dead_letter',
    sql: `CREATE SCHEMA IF NOT EXISTS elasticsearch;
CREATE TABLE IF NOT EXISTS ${TABLE} (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id text NOT NULL,
  entity_type text NOT NULL,
  entity_id text NOT NULL,
  index_name text NOT NULL,
  operation text NOT NULL,
  document text NOT NULL,
  status integer,
  error_type text NOT NULL,
  error_reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS tb_sink_dead_letter_created_at ON ${TABLE} (created_at DESC);
`,
  },
]);

interface Row {
  id: string;
  event_id: string;
  entity_type: string;
  entity_id: string;
  index_name: string;
  operation: string;
  document: string;
  status: number | null;
  error_type: string;
  error_reason: string;
  created_at: Date | string;
}

/**
 * Dead letters in PostgreSQL (`elasticsearch.tb_sink_dead_letter`, created by
 * {@link elasticsearchMigrations}). Each item keeps the document exactly as sent and the
 * server's error.
 */
export function createPgSinkDeadLetters(sql: SqlClient): SinkDeadLetters {
  return {
    async add(items) {
      if (items.length === 0) return;
      await sql.query(
        `INSERT INTO ${TABLE} (event_id, entity_type, entity_id, index_name, operation, document, status, error_type, error_reason)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(event_id text, entity_type text, entity_id text, index_name text, operation text, document text, status integer, error_type text, error_reason text)`,
        [
          JSON.stringify(
            items.map((item: SinkDeadLetter) => ({
              event_id: item.eventId,
              entity_type: item.entityType,
              entity_id: item.entityId,
              index_name: item.index,
              operation: item.operation,
              document: item.document,
              status: item.status ?? null,
              error_type: item.errorType,
              error_reason: item.errorReason,
            })),
          ),
        ],
      );
    },
    async list({ limit = 100, offset = 0 } = {}) {
      const result = await sql.query<Row>(
        `SELECT * FROM ${TABLE} ORDER BY created_at DESC, id LIMIT $1 OFFSET $2`,
        [Math.min(Math.max(limit, 1), 1000), Math.max(offset, 0)],
      );
      return result.rows.map(rowToItem);
    },
    async count() {
      const result = await sql.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${TABLE}`);
      return Number(result.rows[0]?.n ?? 0);
    },
    async remove(ids) {
      if (ids.length === 0) return 0;
      const result = await sql.query(`DELETE FROM ${TABLE} WHERE id = ANY($1::uuid[])`, [ids]);
      return result.rowCount;
    },
  };
}

function rowToItem(row: Row): StoredSinkDeadLetter {
  return {
    id: row.id,
    eventId: row.event_id,
    entityType: row.entity_type,
    entityId: row.entity_id,
    index: row.index_name,
    operation: row.operation,
    document: row.document,
    ...(row.status === null ? {} : { status: row.status }),
    errorType: row.error_type,
    errorReason: row.error_reason,
    createdAt: new Date(row.created_at),
  };
}
