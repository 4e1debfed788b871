import { connectDatabase, coreMigrations, migrate, type SqlClient } from '@fraiseql/core';
import { observerMigrations } from '@fraiseql/observers';
import { createTestDatabase, type ServiceHandle } from '@fraiseql/testing';
import type { ClickHouseConnection, ClickHouseSink } from '@fraiseql/clickhouse';
import { expect } from 'vitest';

/** A migrated PostgreSQL database holding a change log, for one test. */
export interface ChangeLogDb extends AsyncDisposable {
  readonly db: SqlClient;
  readonly url: string;
  close(): Promise<void>;
}

export async function createChangeLogDb(postgres: ServiceHandle): Promise<ChangeLogDb> {
  const database = await createTestDatabase(postgres);
  const db = await connectDatabase({ url: database.url, maxConnections: 6 });
  await migrate(db, { sets: [coreMigrations, observerMigrations] });
  const close = async (): Promise<void> => {
    await db.close();
    await database.close();
  };
  return { db, url: database.url, close, [Symbol.asyncDispose]: close };
}

const KINDS = ['INSERT', 'UPDATE', 'DELETE', 'CUSTOM'];

/** Commits `count` change-log rows of every kind, several entity types and tenants. */
export async function commitChanges(db: SqlClient, count: number): Promise<void> {
  await db.query(
    `INSERT INTO core.tb_entity_change_log
       (object_type, object_id, modification_type, tenant_id, object_data)
     SELECT (ARRAY['order', 'customer', 'invoice'])[1 + g % 3], (g % 17)::text,
            (ARRAY['${KINDS.join("','")}'])[1 + (g / 3) % 4],
            CASE WHEN g % 5 = 0 THEN NULL ELSE gen_random_uuid() END,
            jsonb_build_object('n', g, 'pad', repeat('x', g % 13))
     FROM generate_series(1, $1::int) g`,
    [count],
  );
}

/** Change-log rows after the committed position of change-log reader `reader` (all when it has none). */
export async function readerBacklog(db: SqlClient, reader: string): Promise<number> {
  const result = await db.query<{ n: string }>(
    `WITH r AS (
       SELECT COALESCE(max(transaction_id::text::bigint), 0) AS x, COALESCE(max(seq), 0) AS s
       FROM core.tb_change_log_reader WHERE reader = $1)
     SELECT count(*)::text AS n FROM core.tb_entity_change_log l, r
     WHERE (l.transaction_id::text::bigint, l.pk_entity_change_log) > (r.x, r.s)`,
    [reader],
  );
  return Number(result.rows[0]?.n ?? 0);
}

/** What PostgreSQL's change log says, counted directly: the truth the aggregates must equal. */
export interface DirectCounts {
  readonly total: number;
  readonly byKind: Record<string, number>;
  readonly byEntity: Record<string, number>;
}

export async function directCounts(db: SqlClient): Promise<DirectCounts> {
  const rows = await db.query<{ kind: string; entity: string; n: string }>(
    `SELECT modification_type AS kind, object_type AS entity, count(*)::text AS n
     FROM core.tb_entity_change_log WHERE modification_type <> 'NOOP'
     GROUP BY 1, 2`,
  );
  const byKind: Record<string, number> = {};
  const byEntity: Record<string, number> = {};
  let total = 0;
  for (const row of rows.rows) {
    const n = Number(row.n);
    total += n;
    byKind[row.kind] = (byKind[row.kind] ?? 0) + n;
    byEntity[row.entity] = (byEntity[row.entity] ?? 0) + n;
  }
  return { total, byKind, byEntity };
}

/** The same counts read from the sink's tables: raw rows and every aggregate. */
export async function clickHouseCounts(
  connection: ClickHouseConnection,
  tables: ClickHouseSink['tables'],
): Promise<{
  rawRows: number;
  perMinute: DirectCounts;
  perHour: DirectCounts;
  tenantDaily: number;
  tenantKinds: Record<string, number>;
  payloadEvents: number;
}> {
  const grouped = async (table: string): Promise<DirectCounts> => {
    const rows = await connection.query<{ kind: string; entity: string; n: string }>(
      `SELECT toString(event_type) AS kind, toString(entity_type) AS entity, sum(events) AS n FROM ${table} GROUP BY kind, entity`,
    );
    const byKind: Record<string, number> = {};
    const byEntity: Record<string, number> = {};
    let total = 0;
    for (const row of rows) {
      const n = Number(row.n);
      total += n;
      byKind[row.kind] = (byKind[row.kind] ?? 0) + n;
      byEntity[row.entity] = (byEntity[row.entity] ?? 0) + n;
    }
    return { total, byKind, byEntity };
  };
  const [raw] = await connection.query<{ n: string }>(`SELECT count() AS n FROM ${tables.raw}`);
  const [tenant] = await connection.query<Record<string, string>>(
    `SELECT sum(events) AS events, sum(inserts) AS INSERT, sum(updates) AS UPDATE, sum(deletes) AS DELETE, sum(customs) AS CUSTOM FROM ${tables.tenantDaily}`,
  );
  const [payload] = await connection.query<{ n: string }>(
    `SELECT countMerge(events) AS n FROM ${tables.payloadHourly}`,
  );
  return {
    rawRows: Number(raw?.n ?? 0),
    perMinute: await grouped(tables.perMinute),
    perHour: await grouped(tables.perHour),
    tenantDaily: Number(tenant?.events ?? 0),
    tenantKinds: {
      INSERT: Number(tenant?.INSERT ?? 0),
      UPDATE: Number(tenant?.UPDATE ?? 0),
      DELETE: Number(tenant?.DELETE ?? 0),
      CUSTOM: Number(tenant?.CUSTOM ?? 0),
    },
    payloadEvents: Number(payload?.n ?? 0),
  };
}

/** Every event stored once and every aggregate equal to the change log's direct count. */
export function expectCountsMatch(
  stored: Awaited<ReturnType<typeof clickHouseCounts>>,
  truth: DirectCounts,
): void {
  expect(stored.rawRows).toBe(truth.total);
  expect(stored.perMinute).toEqual(truth);
  expect(stored.perHour).toEqual(truth);
  expect(stored.tenantDaily).toBe(truth.total);
  expect(stored.tenantKinds).toEqual(truth.byKind);
  expect(stored.payloadEvents).toBe(truth.total);
}
