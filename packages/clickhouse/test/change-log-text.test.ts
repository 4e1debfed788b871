// The change-log loader reads most rows as COPY text and sends PostgreSQL's bytes on as the
// raw table's lines. Whatever the row holds, ClickHouse must end up with what the row-by-row
// path (changeLogRowToEvent → eventToRow → encodeRow) stores, on both engines.
import { silentLogger, type SqlClient } from '@fraiseql/core';
import { requireService, uniqueName, waitFor } from '@fraiseql/testing';
import {
  createClickHouseSink,
  createHttpConnection,
  type ClickHouseConnection,
  type ClickHouseSink,
} from '@fraiseql/clickhouse';
import { describe, expect, it } from 'vitest';
import { createChdbConnection } from './support/chdb-connection.js';
import { createChangeLogDb, readerBacklog } from './support/change-log.js';

const postgres = await requireService('postgres');
const clickhouse = await requireService('clickhouse');

// Text no column may mangle: every character COPY or TabSeparated escapes, control characters
// they do not, a literal `\N`, multi-byte UTF-8.
const NASTY = 'a\tb\nc\rd\\e\bf\fg\vh\u0001i\u001bj\\Nk é😀 \'"`';

/** Rows the text path writes itself, and rows it leaves to the row path, in one change log. */
async function writeRows(db: SqlClient): Promise<void> {
  const rows: [string, string, string, string | null, string | null, string | null, string][] = [
    // kind, object_type, object_id, object_data, object_data_before, extra_metadata, created_at
    [
      'INSERT',
      NASTY,
      NASTY,
      `{"s": ${JSON.stringify(NASTY)}, "n": 1.50, "big": 12345678901234567890}`,
      null,
      null,
      '2024-05-06 07:08:09.123456+00',
    ],
    [
      'UPDATE',
      'order',
      '7',
      '{"status": "paid", "nested": {"a": [1, {"b": null}]}}',
      '{"status": "new"}',
      '{"source_table": "tb_order", "traceparent": null}',
      '2024-05-06 07:08:09.999999+00',
    ],
    ['DELETE', 'order', '8', null, '{"gone": true}', null, '2030-01-01 00:00:00+00'],
    ['DELETE', 'order', '9', '{"after": 1}', null, null, '2030-01-01 00:00:00.0005+00'],
    ['DELETE', 'order', '10', null, null, null, '2024-01-01 00:00:00+00'],
    ['CUSTOM', 'job', '11', null, null, '{"k": "v"}', '2024-01-01 00:00:00+00'],
    [
      'INSERT',
      'order',
      '12',
      `{"${'x'.repeat(300)}": "${'é'.repeat(5000)}"}`,
      null,
      null,
      '2024-01-01 00:00:00+00',
    ],
    // Left to the row path: a Debezium-style envelope, a JSON document held as a jsonb
    // string, a NOOP, malformed rows (an array document, a numeric source_table, an empty
    // object id), a time before 1970 and a JSON null pre-image.
    [
      'UPDATE',
      'order',
      '13',
      '{"op": "u", "before": {"v": 1}, "after": {"v": 2}, "source": {"db": "x"}}',
      null,
      null,
      '2024-01-01 00:00:00+00',
    ],
    [
      'INSERT',
      'order',
      '14',
      JSON.stringify('{"held": "as text"}'),
      null,
      null,
      '2024-01-01 00:00:00+00',
    ],
    ['NOOP', 'order', '15', '{}', null, null, '2024-01-01 00:00:00+00'],
    ['INSERT', 'order', '16', '[1, 2]', null, null, '2024-01-01 00:00:00+00'],
    ['INSERT', 'order', '17', '{}', null, '{"source_table": 5}', '2024-01-01 00:00:00+00'],
    ['INSERT', 'order', '', '{}', null, null, '2024-01-01 00:00:00+00'],
    ['INSERT', 'order', '19', '{"old": true}', null, null, '1960-06-01 12:00:00.25+00'],
    ['DELETE', 'order', '20', '{"after": 2}', 'null', null, '2024-01-01 00:00:00+00'],
  ];
  for (const [kind, type, id, data, before, extra, at] of rows) {
    await db.query(
      `INSERT INTO core.tb_entity_change_log (modification_type, object_type, object_id,
         object_data, object_data_before, extra_metadata, created_at, tenant_id, fk_contact)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7::timestamptz, $8, $9)`,
      [
        kind,
        type,
        id,
        data,
        before,
        extra,
        at,
        id === '7' ? NASTY : null,
        id === '8' ? '42' : null,
      ],
    );
  }
}

/** `db` without `copyOut`: the sink reads the change log row by row. */
function rowsOnly(db: SqlClient): SqlClient {
  return new Proxy(db, {
    get(target, key) {
      if (key === 'copyOut') return undefined;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

interface StoredRow {
  readonly event_id: string;
  readonly seq: string;
  readonly event_type: string;
  readonly entity_type: string;
  readonly entity_id: string;
  readonly tenant_id: string;
  readonly user_id: string;
  readonly ts: string;
  readonly data: string;
  readonly payload_bytes: number | string;
}

async function load(
  connection: ClickHouseConnection,
  db: SqlClient,
  total: number,
): Promise<{ rows: StoredRow[]; dead: unknown[]; sink: ClickHouseSink }> {
  const sink = await createClickHouseSink({
    connection,
    database: uniqueName('cht').replace(/-/g, '_'),
    batch: { maxAge: 50 },
  });
  const reader = uniqueName('r');
  const pipe = sink.consumeChangeLog(db, { reader, pageSize: 4, pollInterval: 20 });
  await waitFor(async () => (await readerBacklog(db, reader)) === 0, { timeoutMs: 30_000 });
  await pipe.close();
  const rows = await connection.query<StoredRow>(
    `SELECT event_id, toString(seq) AS seq, toString(event_type) AS event_type, entity_type,
            entity_id, tenant_id, user_id, toString(timestamp) AS ts, data, payload_bytes
     FROM ${sink.tables.raw} FINAL ORDER BY toUInt64(seq)`,
  );
  const dead = await connection.query(
    `SELECT event_id, toString(seq) AS seq, error FROM ${sink.tables.deadLetter} ORDER BY toUInt64(seq)`,
  );
  expect(rows.length + dead.length).toBe(total);
  return { rows, dead, sink };
}

const engines: [string, () => Promise<ClickHouseConnection>][] = [
  ['the modern engine (chdb)', createChdbConnection],
  [
    `the ClickHouse server over HTTP (${clickhouse?.url ?? 'unavailable'})`,
    () => Promise.resolve(createHttpConnection({ url: clickhouse?.url ?? '' })),
  ],
];

describe.skipIf(postgres === undefined || clickhouse === undefined)(
  'change log read as COPY text into ClickHouse',
  () => {
    it.each(engines)(
      'stores on %s exactly what the row-by-row path stores',
      { timeout: 120_000 },
      async (_name, open) => {
        await using pg = await createChangeLogDb(postgres!);
        await writeRows(pg.db);
        const connection = await open();
        try {
          // Every row but the NOOP is stored (11) or dead-lettered (3).
          const total = 14;
          const text = await load(connection, pg.db, total);
          const rows = await load(connection, rowsOnly(pg.db), total);
          await text.sink.close();
          await rows.sink.close();

          expect(text.dead).toEqual(rows.dead);
          const without = ({ data, payload_bytes: _, ...rest }: StoredRow) => ({
            ...rest,
            document: JSON.parse(data) as unknown,
          });
          expect(text.rows.map(without)).toEqual(rows.rows.map(without));
          for (const row of [...text.rows, ...rows.rows]) {
            expect(Number(row.payload_bytes)).toBe(Buffer.byteLength(row.data));
          }
          // The text path stored PostgreSQL's own text of the documents it wrote (jsonb's
          // spacing, numbers as stored) and left envelopes to JavaScript.
          const byId = new Map(text.rows.map((row) => [row.entity_id, row]));
          expect(byId.get(NASTY)?.data).toContain('"big": 12345678901234567890');
          expect(byId.get('13')?.data).toBe('{"v":2}');
          expect(rows.rows.every((row) => !row.data.includes('": '))).toBe(true);

          // And the columns hold the change log's values, byte for byte.
          const nasty = byId.get(NASTY);
          expect(nasty).toMatchObject({
            entity_type: NASTY,
            entity_id: NASTY,
            event_type: 'INSERT',
          });
          expect(JSON.parse(nasty?.data ?? '')).toMatchObject({ s: NASTY });
          expect(byId.get('7')).toMatchObject({ tenant_id: NASTY, user_id: '' });
          expect(byId.get('8')).toMatchObject({ user_id: '42', data: '{"gone": true}' });
          expect(byId.get('9')?.data).toBe('{"after": 1}');
          expect(byId.get('10')?.data).toBe('{}');
          expect(byId.get('11')?.data).toBe('{}');
          expect(byId.get('7')?.ts).toMatch(/^2024-05-06 07:08:09(\.999000)?$/);
        } finally {
          await connection.close();
        }
      },
    );

    it(
      'falls back to rows when PostgreSQL refuses the text statement, losing nothing',
      { timeout: 60_000 },
      async () => {
        await using pg = await createChangeLogDb(postgres!);
        // An older FraiseQL change log may keep documents as json: jsonb_typeof(json) does not
        // exist (42883), so the COPY is refused and the loader reads rows instead.
        await pg.db.exec(
          'ALTER TABLE core.tb_entity_change_log ALTER COLUMN object_data TYPE json USING object_data::json',
        );
        await writeRows(pg.db);
        const connection = createHttpConnection({ url: clickhouse?.url ?? '' });
        const warnings: string[] = [];
        try {
          const sink = await createClickHouseSink({
            connection,
            database: uniqueName('cht').replace(/-/g, '_'),
            batch: { maxAge: 50 },
            logger: { ...silentLogger, warn: (_fields, message) => warnings.push(message) },
          });
          const reader = uniqueName('r');
          const pipe = sink.consumeChangeLog(pg.db, { reader, pageSize: 4, pollInterval: 20 });
          await waitFor(async () => (await readerBacklog(pg.db, reader)) === 0, {
            timeoutMs: 30_000,
          });
          await pipe.close();
          const [stored] = await connection.query<{ n: string }>(
            `SELECT toString(count()) AS n FROM ${sink.tables.raw}`,
          );
          const [dead] = await connection.query<{ n: string }>(
            `SELECT toString(count()) AS n FROM ${sink.tables.deadLetter}`,
          );
          await sink.close();
          expect(Number(stored?.n) + Number(dead?.n)).toBe(14);
          expect(warnings.filter((warning) => warning.includes('COPY text'))).toHaveLength(1);
        } finally {
          await connection.close();
        }
      },
    );
  },
);
