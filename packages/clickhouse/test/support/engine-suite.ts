import { randomUUID } from 'node:crypto';
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityEvent } from '@fraiseql/core';
import { createMemorySource } from '@fraiseql/observers';
import { uniqueName, waitFor } from '@fraiseql/testing';
import {
  ClickHouseError,
  createClickHouseAnalytics,
  eventTables,
  createClickHouseSink,
  isClickHouseError,
  noopClickHouseSinkMetrics,
  type ClickHouseConnection,
  type ClickHouseSink,
  type ClickHouseSinkMetrics,
  type ClickHouseSinkOptions,
} from '@fraiseql/clickhouse';
import { makeEvents, payloadBytes } from './events.js';

/** Counts of a table, read with the sink's own connection. */
async function scalar(connection: ClickHouseConnection, sql: string): Promise<number> {
  const rows = await connection.query<{ n: string | number }>(sql);
  return Number(rows[0]?.n ?? 0);
}

/**
 * The sink, DDL and analytics behaviour every ClickHouse engine must show; run against the
 * embedded modern engine (chdb) and against a ClickHouse server over HTTP.
 */
export function engineSuite(
  name: string,
  open: () => Promise<ClickHouseConnection | undefined>,
  expectModern: boolean,
): void {
  let connection: ClickHouseConnection | undefined;
  const sinks: ClickHouseSink[] = [];
  beforeAll(async () => {
    connection = await open();
  });
  afterAll(async () => {
    for (const sink of sinks) await sink.close();
    await connection?.close();
  });

  const sinkFor = async (options: Partial<ClickHouseSinkOptions> = {}): Promise<ClickHouseSink> => {
    if (connection === undefined) throw new Error('no connection');
    const sink = await createClickHouseSink({
      connection,
      database: uniqueName('ch').replace(/-/g, '_'),
      batch: { maxAge: 60_000 },
      ...options,
    });
    sinks.push(sink);
    return sink;
  };
  const count = (sink: ClickHouseSink, table: string, where = '1'): Promise<number> =>
    scalar(sink.connection, `SELECT count() AS n FROM ${table} WHERE ${where}`);

  describe(name, () => {
    it('picks the DDL for the server version and migrates idempotently', async (ctx) => {
      if (connection === undefined) ctx.skip();
      const sink = await sinkFor();
      expect(sink.capabilities.dateTime64).toBe(expectModern);
      const rows = await sink.connection.query<{ type: string }>(
        `SELECT type FROM system.columns WHERE database = '${sink.tables.plain.database}' AND table = 'fraiseql_events' AND name IN ('timestamp', 'entity_type') ORDER BY name`,
      );
      expect(rows.map((row) => row.type)).toEqual(
        expectModern
          ? ['LowCardinality(String)', "DateTime64(6, 'UTC')"]
          : ['String', "DateTime('UTC')"],
      );
      const again = await createClickHouseSink({
        connection: sink.connection,
        database: sink.tables.plain.database,
      });
      await again.close();
      expect(await count(sink, sink.tables.migrations)).toBe(2);
    });

    it('stores events once and the aggregates agree with a direct count', async (ctx) => {
      if (connection === undefined) ctx.skip();
      const sink = await sinkFor();
      const events = makeEvents(200);
      await sink.write(events.slice(0, 120));
      await sink.write(events.slice(120));
      await sink.flush();
      expect(await count(sink, sink.tables.raw)).toBe(200);
      // The same events again, in other batch shapes (a redelivery after a crash).
      await sink.write(events.slice(50, 170));
      await sink.flush();
      await sink.write(events);
      await sink.flush();
      expect(await count(sink, sink.tables.raw)).toBe(200);

      const analytics = createClickHouseAnalytics({
        connection: sink.connection,
        database: sink.tables.plain.database,
      });
      const range = { from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000) };
      const byKind = await analytics.timeSeries({
        ...range,
        bucketSeconds: 3600,
        by: 'event_type',
      });
      const kinds: Record<string, number> = {};
      for (const point of byKind)
        kinds[point.key ?? ''] = (kinds[point.key ?? ''] ?? 0) + point.events;
      expect(kinds).toEqual({ INSERT: 50, UPDATE: 50, DELETE: 50, CUSTOM: 50 });
      const perMinute = await analytics.timeSeries({ ...range, entityType: 'order' });
      expect(perMinute.reduce((sum, point) => sum + point.events, 0)).toBe(
        events.filter((event) => event.entityType === 'order').length,
      );

      const tenants = await analytics.activeTenants(range);
      const expected = (tenant: string, kind?: string): number =>
        events.filter((e) => e.tenantId === tenant && (kind === undefined || e.eventType === kind))
          .length;
      expect(tenants.find((t) => t.tenantId === 't1')).toEqual({
        tenantId: 't1',
        events: expected('t1'),
        inserts: expected('t1', 'INSERT'),
        updates: expected('t1', 'UPDATE'),
        deletes: expected('t1', 'DELETE'),
        customs: expected('t1', 'CUSTOM'),
      });

      const unique = await analytics.uniqueEntities(range);
      const orders = unique.filter((p) => p.entityType === 'order');
      expect(Math.max(...orders.map((p) => p.entities))).toBe(7);

      const stats = await analytics.payloadStats({ ...range, entityType: 'customer' });
      const sizes = events.filter((e) => e.entityType === 'customer').map(payloadBytes);
      expect(stats).toHaveLength(1);
      expect(stats[0]?.events).toBe(sizes.length);
      expect(stats[0]?.maxBytes).toBe(Math.max(...sizes));
      expect(stats[0]?.avgBytes).toBeCloseTo(sizes.reduce((a, b) => a + b, 0) / sizes.length, 6);

      const top = await analytics.topEntities({ ...range, limit: 3 });
      expect(top).toHaveLength(3);
      const direct = new Map<string, number>();
      for (const e of events) {
        const key = `${e.entityType}/${e.entityId}`;
        direct.set(key, (direct.get(key) ?? 0) + 1);
      }
      expect(top[0]?.events).toBe(Math.max(...direct.values()));
      await analytics.close();
    });

    it('a batch re-sent after it reached the raw table but not every view lands in every aggregate once', async (ctx) => {
      if (connection === undefined) return ctx.skip();
      const base = connection;
      const database = uniqueName('ch').replace(/-/g, '_');
      const tables = eventTables(database, 'fraiseql_events');
      // The server takes the first insert into the raw table and stops before pushing the block
      // to two of the views (they are detached while it runs); the client sees the connection
      // break, so the outcome is unknown and the sink re-sends the batch.
      const missedBy = ['perMinute', 'payloadHourly'] as const;
      let interrupted = 0;
      const flaky: ClickHouseConnection = {
        description: base.description,
        query: (sql, options) => base.query(sql, options),
        command: (sql, options) => base.command(sql, options),
        ping: (options) => base.ping(options),
        close: () => Promise.resolve(),
        async insertLines(table, columns, format, body, options) {
          if (table !== tables.raw || interrupted > 0) {
            await base.insertLines(table, columns, format, body, options);
            return;
          }
          interrupted += 1;
          for (const role of missedBy) await base.command(`DETACH TABLE ${tables.view(role)}`);
          try {
            await base.insertLines(table, columns, format, body, options);
          } finally {
            for (const role of missedBy) await base.command(`ATTACH TABLE ${tables.view(role)}`);
          }
          throw new ClickHouseError('UNAVAILABLE', 'insert: socket hang up (server stopped)');
        },
      };
      const sink = await sinkFor({
        connection: flaky,
        database,
        retry: { initialDelay: 1, maxDelay: 5 },
      });
      const events = makeEvents(40, 1n, new Date(Date.UTC(2026, 0, 15, 10, 30)));
      await sink.write(events);
      await sink.flush();
      expect(interrupted).toBe(1);
      // A later redelivery of the same events (a crash before acknowledging) adds nothing.
      await sink.write(events.slice(10, 30));
      await sink.flush();
      const total = (sql: string): Promise<number> => scalar(base, sql);
      expect(await count(sink, tables.raw)).toBe(40);
      expect(await total(`SELECT sum(events) AS n FROM ${tables.perMinute}`)).toBe(40);
      expect(await total(`SELECT sum(events) AS n FROM ${tables.perHour}`)).toBe(40);
      expect(await total(`SELECT sum(events) AS n FROM ${tables.tenantDaily}`)).toBe(40);
      expect(await total(`SELECT sum(inserts) AS n FROM ${tables.tenantDaily}`)).toBe(
        events.filter((e) => e.eventType === 'INSERT').length,
      );
      expect(await total(`SELECT countMerge(events) AS n FROM ${tables.payloadHourly}`)).toBe(40);
      const sizes = events.map(payloadBytes);
      const [stats] = await base.query<{ avg: number; max: number }>(
        `SELECT avgMerge(avg_bytes) AS avg, maxMerge(max_bytes) AS max FROM ${tables.payloadHourly}`,
      );
      expect(Number(stats?.avg)).toBeCloseTo(sizes.reduce((a, b) => a + b, 0) / sizes.length, 6);
      expect(Number(stats?.max)).toBe(Math.max(...sizes));
      const entities = new Set(events.map((e) => `${e.entityType}/${e.entityId}`)).size;
      expect(
        await total(
          `SELECT sum(n) AS n FROM (SELECT uniqMerge(entities) AS n FROM ${tables.entitiesPerHour} GROUP BY hour, entity_type)`,
        ),
      ).toBe(entities);
    });

    it('counts an event once when the batch behind it holds the event again', async (ctx) => {
      if (connection === undefined) ctx.skip();
      // The second batch's stored-row lookup runs while the first is inserted, before its rows
      // are visible: the rows the first batch stored must still be skipped in the second.
      const sink = await sinkFor({ batch: { maxRows: 10, maxAge: 60_000 } });
      const events = makeEvents(15);
      await sink.write([...events.slice(0, 10), ...events.slice(5, 15)]);
      await sink.flush();
      expect(await count(sink, sink.tables.raw)).toBe(15);
      expect(
        await scalar(sink.connection, `SELECT sum(events) AS n FROM ${sink.tables.perMinute}`),
      ).toBe(15);
    });

    it('absorbs a re-sent batch in the table design when the stored-event check is off', async (ctx) => {
      if (connection === undefined) ctx.skip();
      const sink = await sinkFor({ skipStoredEvents: false });
      const events = makeEvents(30);
      await sink.write(events);
      await sink.flush();
      await sink.write(events);
      await sink.flush();
      if (expectModern) {
        // The same batch gives the same deduplication token: the server drops it, views too.
        expect(await count(sink, sink.tables.raw)).toBe(30);
        expect(
          await scalar(sink.connection, `SELECT sum(events) AS n FROM ${sink.tables.perMinute}`),
        ).toBe(30);
      }
      await sink.connection.command(`OPTIMIZE TABLE ${sink.tables.raw} FINAL`);
      expect(await count(sink, sink.tables.raw)).toBe(30);
    });

    it('dead-letters rows the server refuses and stores the rest of the batch', async (ctx) => {
      if (connection === undefined) ctx.skip();
      const sink = await sinkFor();
      const events = makeEvents(9);
      const bad = { ...events[4], eventType: 'created' } as unknown as EntityEvent;
      await sink.write([...events.slice(0, 4), bad, ...events.slice(5)]);
      await sink.flush();
      expect(await count(sink, sink.tables.raw)).toBe(8);
      const dead = await sink.connection.query<{ event_id: string; error: string; event: string }>(
        `SELECT event_id, error, event FROM ${sink.tables.deadLetter}`,
      );
      expect(dead).toHaveLength(1);
      expect(dead[0]?.event_id).toBe(bad.id);
      expect(dead[0]?.error).toMatch(/created/);
      expect(JSON.parse(dead[0]?.event ?? '{}')).toMatchObject({ eventType: 'created' });
    });

    it('flushes a trickle on age without flush()', async (ctx) => {
      if (connection === undefined) ctx.skip();
      const sink = await sinkFor({ batch: { maxAge: 200 } });
      for (const event of makeEvents(3)) {
        await sink.write([event]);
        await waitFor(
          async () => (await count(sink, sink.tables.raw, `event_id = '${event.id}'`)) === 1,
          {
            timeoutMs: 30_000,
          },
        );
      }
    });

    it('settles source deliveries only after their batch is stored', async (ctx) => {
      if (connection === undefined) ctx.skip();
      const sink = await sinkFor({ batch: { maxAge: 100, maxRows: 25 } });
      const source = createMemorySource();
      const pipe = await sink.consume(source);
      const events = makeEvents(100);
      source.publish(events);
      await waitFor(async () => (await source.backlog()).events === 0, { timeoutMs: 30_000 });
      expect(await count(sink, sink.tables.raw)).toBe(100);
      await pipe.close();
    });

    it('takes Arrow record batches in the event schema', async (ctx) => {
      if (connection === undefined) ctx.skip();
      const sink = await sinkFor({ batch: { maxAge: 50 } });
      const events = makeEvents(10);
      const micros = events.map((e) => e.timestamp.getTime() * 1000 + 123);
      const batch = new arrow.RecordBatch({
        event_id: arrow.vectorFromArray(
          events.map((e) => e.id),
          new arrow.Utf8(),
        ).data[0]!,
        seq: arrow.vectorFromArray(
          events.map((e) => e.seq),
          new arrow.Int64(),
        ).data[0]!,
        event_type: arrow.vectorFromArray(
          events.map((e) => e.eventType),
          new arrow.Utf8(),
        ).data[0]!,
        entity_type: arrow.vectorFromArray(
          events.map((e) => e.entityType),
          new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()),
        ).data[0]!,
        entity_id: arrow.vectorFromArray(
          events.map((e) => e.entityId),
          new arrow.Utf8(),
        ).data[0]!,
        timestamp: arrow.makeData({
          type: new arrow.TimestampMicrosecond('UTC'),
          length: events.length,
          data: BigInt64Array.from(micros.map(BigInt)),
        }),
        data: arrow.vectorFromArray(
          events.map((e) => JSON.stringify(e.data)),
          new arrow.Utf8(),
        ).data[0]!,
        tenant_id: arrow.vectorFromArray(
          events.map((e) => e.tenantId ?? null),
          new arrow.Utf8(),
        ).data[0]!,
      });
      await sink.writeArrow(batch);
      expect(await count(sink, sink.tables.raw)).toBe(10);
      const first = await sink.connection.query<{ ts: string }>(
        `SELECT toString(timestamp) AS ts FROM ${sink.tables.raw} WHERE event_id = '${events[0]?.id ?? ''}'`,
      );
      expect(first[0]?.ts.endsWith(expectModern ? '123' : '')).toBe(true);
      const wrong = new arrow.RecordBatch({
        event_id: arrow.vectorFromArray([randomUUID()], new arrow.Utf8()).data[0]!,
      });
      await expect(sink.writeArrow(wrong)).rejects.toSatisfy((error) =>
        isClickHouseError(error, 'ARROW_SCHEMA'),
      );
    });

    it('waits for merges and merges batches when the raw table has too many parts', async (ctx) => {
      if (connection === undefined) ctx.skip();
      let waits = 0;
      const metrics: ClickHouseSinkMetrics = {
        ...noopClickHouseSinkMetrics,
        partsBackpressure: () => {
          waits += 1;
        },
      };
      const sink = await sinkFor({
        metrics,
        backpressure: { maxActiveParts: 3, checkInterval: 50, maxWait: 500 },
      });
      await sink.connection.command(`SYSTEM STOP MERGES ${sink.tables.raw}`);
      const events = makeEvents(8, 1n, new Date());
      for (const event of events.slice(0, 3)) {
        await sink.write([event]);
        await sink.flush();
      }
      expect(waits).toBe(0);
      await sink.write(events.slice(3));
      await sink.flush();
      expect(waits).toBeGreaterThan(0);
      const parts = await scalar(
        sink.connection,
        `SELECT count() AS n FROM system.parts WHERE database = '${sink.tables.plain.database}' AND table = 'fraiseql_events' AND active`,
      );
      expect(parts).toBe(4);
      expect(await count(sink, sink.tables.raw)).toBe(8);
      await sink.connection.command(`SYSTEM START MERGES ${sink.tables.raw}`);
    });
  });
}
