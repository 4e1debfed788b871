// The ClickHouse sink metrics moved by a real sink on a private ClickHouse server that the test
// stops and starts again (for the retries and the connection state).
import { randomUUID } from 'node:crypto';
import type { EntityEvent } from '@fraiseql/core';
import { createClickHouseSink } from '@fraiseql/clickhouse';
import { requireService, startService, waitFor } from '@fraiseql/testing';
import { describe, expect, it } from 'vitest';
import { createClickHouseSinkMetrics, createMetricsRegistry } from '../src/index.js';
import { fraiseqlMetricNames, readMetric } from './fixtures/read-metric.js';

const clickhouse = await requireService('clickhouse');

function events(count: number, firstSeq: number): EntityEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    seq: BigInt(firstSeq + i),
    eventType: 'INSERT' as const,
    entityType: 'Order',
    entityId: String(i),
    data: { i },
    timestamp: new Date(),
  }));
}

describe.skipIf(clickhouse === undefined)('ClickHouse sink metrics from a real sink', () => {
  it('moves every fraiseql_clickhouse_* metric and reports the connection state', async () => {
    const server = await startService('clickhouse');
    const registry = createMetricsRegistry();
    const metrics = createClickHouseSinkMetrics(registry);
    const sink = await createClickHouseSink({
      url: server.url,
      metrics,
      batch: { maxAge: 60_000 },
      retry: { initialDelay: 50, maxDelay: 200 },
      backpressure: { maxActiveParts: 1, checkInterval: 10, maxWait: 100 },
    });
    const table = { table: 'fraiseql_events' };
    const read = (name: string, labels: Record<string, string> = table): Promise<number> =>
      readMetric(registry, name, labels);
    try {
      const first = events(10, 1);
      await sink.write(first);
      await sink.flush();
      expect(await read('fraiseql_clickhouse_rows_inserted_total')).toBe(10);
      expect(await read('fraiseql_clickhouse_bytes_inserted_total')).toBeGreaterThan(500);
      expect(await read('fraiseql_clickhouse_batch_rows_count')).toBe(1);
      expect(await read('fraiseql_clickhouse_flush_duration_seconds_count')).toBe(1);

      // One active part now: the next insert waits for merges first.
      await sink.write([...first.slice(0, 3), ...events(2, 11)]);
      await sink.flush();
      expect(await read('fraiseql_clickhouse_parts_backpressure_waits_total')).toBeGreaterThan(0);
      expect(await read('fraiseql_clickhouse_parts_backpressure_seconds_total')).toBeGreaterThan(0);
      expect(await read('fraiseql_clickhouse_duplicate_rows_skipped_total')).toBe(3);

      const [bad, undated] = events(2, 20) as [EntityEvent, EntityEvent];
      await sink.write([
        { ...bad, eventType: 'created' } as unknown as EntityEvent,
        { ...undated, timestamp: new Date(Number.NaN) },
      ]);
      await sink.flush();
      expect(
        await read('fraiseql_clickhouse_dead_lettered_rows_total', {
          ...table,
          reason: 'rejected',
        }),
      ).toBe(1);
      expect(
        await read('fraiseql_clickhouse_dead_lettered_rows_total', { ...table, reason: 'encode' }),
      ).toBe(1);

      const service = { service: 'clickhouse', kind: 'clickhouse' };
      expect(await read('fraiseql_service_up', service)).toBe(1);
      await server.stop();
      await sink.write(events(5, 30));
      const flushed = sink.flush();
      await waitFor(async () => (await read('fraiseql_clickhouse_insert_retries_total')) >= 2, {
        timeoutMs: 30_000,
      });
      expect(await read('fraiseql_clickhouse_buffered_rows')).toBe(5);
      expect(await read('fraiseql_clickhouse_buffered_bytes')).toBeGreaterThan(0);
      expect(
        await read('fraiseql_clickhouse_insert_failures_total', {
          ...table,
          error_type: 'UNAVAILABLE',
        }),
      ).toBeGreaterThan(0);
      expect(await read('fraiseql_service_up', service)).toBe(0);
      expect(sink.health().service.state).toBe('reconnecting');
      await server.start();
      await flushed;
      expect(await read('fraiseql_clickhouse_rows_inserted_total')).toBe(17);
      expect(await read('fraiseql_clickhouse_buffered_rows')).toBe(0);
      expect(await read('fraiseql_service_up', service)).toBe(1);
      expect(await read('fraiseql_service_outages_total', service)).toBe(1);

      const declared = (await fraiseqlMetricNames(registry)).filter((name) =>
        name.startsWith('fraiseql_clickhouse_'),
      );
      expect(declared).toHaveLength(12);
    } finally {
      await sink.close();
      await server.close();
    }
    expect(sink.health().service.state).toBe('closed');
  });
});
