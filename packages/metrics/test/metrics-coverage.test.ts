// Drives every code path that moves a FraiseQL metric (the real observers runtime, executor,
// sources, dead-letter queue and dedup store against PostgreSQL and NATS) and checks each one
// with its labels. The last test fails when a metric is declared but no test above moved it.
import { randomUUID } from 'node:crypto';
import {
  coreMigrations,
  installCapture,
  migrate,
  pgClient,
  serializeEvent,
  ServiceHealthTracker,
  type EntityEvent,
  type SqlClient,
} from '@fraiseql/core';
import {
  createChangeLogSource,
  createDeadLetterQueue,
  createInvocationLog,
  createMemoryDedupStore,
  createMemorySource,
  createNatsSource,
  createObserverExecutor,
  createObserverRuntime,
  eventSubject,
  ObserverError,
  observerMigrations,
  type ActionExecutor,
  type ExecutableObserver,
  type ObserverMetrics,
} from '@fraiseql/observers';
import type { JobQueueMetrics } from '@fraiseql/job-queue';
import { createTestDatabase, createTestStream, requireService, waitFor } from '@fraiseql/testing';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createJobQueueMetrics,
  createMetricsRegistry,
  createObserverMetrics,
  type ObserverMetricsReporter,
} from '../src/index.js';
import { fraiseqlMetricNames, readMetric, withoutEventCounts } from './fixtures/read-metric.js';

const postgres = await requireService('postgres');
const nats = await requireService('nats');

let seq = 0n;
function makeEvent(entityId = 'o-1'): EntityEvent {
  seq += 1n;
  return {
    id: randomUUID(),
    seq,
    eventType: 'UPDATE',
    entityType: 'Order',
    entityId,
    data: { n: Number(seq) },
    timestamp: new Date(),
  };
}

/** An action executor whose behaviour per call a test scripts. */
function scriptedAction(
  type: string,
  script: (attempt: number, event: EntityEvent) => void,
  endpoint?: string,
): ActionExecutor {
  return {
    type,
    ...(endpoint === undefined ? {} : { endpoint: () => endpoint }),
    execute(_config, context) {
      script(context.attempt, context.event);
      return Promise.resolve({ summary: 'ok' });
    },
  };
}

const lookup = (observers: ExecutableObserver[]) => ({ match: () => observers });
const actions = (...executors: ActionExecutor[]) => ({
  get: (type: string) => executors.find((executor) => executor.type === type),
});
const fastRetry = { strategy: 'fixed', maxAttempts: 3, initialDelay: 1 } as const;

describe.skipIf(postgres === undefined || nats === undefined)(
  'every FraiseQL metric moves when its code path runs (PostgreSQL, NATS)',
  () => {
    const registry = createMetricsRegistry();
    const metrics = createObserverMetrics(registry);
    const proven = new Set<string>();
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let db: SqlClient;

    const expectMetric = async (
      name: string,
      labels: Record<string, string>,
      expected: number,
      family = name,
    ): Promise<void> => {
      expect(await readMetric(registry, name, labels), `${name} ${JSON.stringify(labels)}`).toBe(
        expected,
      );
      proven.add(family);
    };

    beforeAll(async () => {
      database = await createTestDatabase(postgres);
      db = pgClient(new pg.Pool({ connectionString: database.url, max: 4 }), { ownsPool: true });
      await migrate(db, { sets: [coreMigrations, observerMigrations] });
    });
    afterAll(async () => {
      await db.close();
      await database.close();
    });

    it('implements the observers ObserverMetrics seam structurally', () => {
      const seam: ObserverMetrics = createObserverMetrics(createMetricsRegistry());
      const reporter: ObserverMetricsReporter = seam as ObserverMetricsReporter;
      expect(typeof reporter.deadLettered).toBe('function');
      // Creating the set twice on one registry reuses the collectors instead of throwing.
      expect(() => createObserverMetrics(registry)).not.toThrow();
    });

    it('counts processed events, executed actions, their durations and source batches', async () => {
      const source = createMemorySource({ metrics });
      const executor = createObserverExecutor({
        matcher: lookup([{ name: 'ok', actions: [{ type: 'function' }] }]),
        registry: actions(scriptedAction('function', () => undefined)),
        metrics: withoutEventCounts(metrics),
      });
      // The runtime counts each event once, when it settles it.
      const runtime = createObserverRuntime({ sources: source, handler: executor, metrics });
      await runtime.start();
      source.publish(Array.from({ length: 7 }, () => makeEvent()));
      await waitFor(
        async () => (await readMetric(registry, 'fraiseql_observer_events_processed_total')) === 7,
        {
          timeoutMs: 10_000,
          message: '7 events processed',
        },
      );
      await runtime.close();
      await executor.close();
      await expectMetric('fraiseql_observer_events_processed_total', {}, 7);
      await expectMetric('fraiseql_observer_action_executed_total', { action_type: 'function' }, 7);
      await expectMetric(
        'fraiseql_observer_action_duration_seconds_count',
        { action_type: 'function' },
        7,
        'fraiseql_observer_action_duration_seconds',
      );
      await expectMetric(
        'fraiseql_observer_source_batch_size_sum',
        { source: 'memory' },
        7,
        'fraiseql_observer_source_batch_size',
      );
    });

    it('counts action errors and retries by type, and failed events by error type', async () => {
      const flaky = scriptedAction('slack', (attempt) => {
        if (attempt === 1) {
          throw new ObserverError('ACTION_FAILED', 'slack 503', {
            retryable: true,
            errorType: 'http_5xx',
          });
        }
      });
      const broken = scriptedAction('email', () => {
        throw new ObserverError('ACTION_FAILED', 'mailbox unknown', { errorType: 'smtp_5xx' });
      });
      const executor = createObserverExecutor({
        matcher: lookup([
          { name: 'flaky', actions: [{ type: 'slack' }], retry: fastRetry },
          { name: 'broken', actions: [{ type: 'email' }], onFailure: 'log' },
        ]),
        registry: actions(flaky, broken),
        metrics,
      });
      await executor(makeEvent());
      await executor.close();
      await expectMetric(
        'fraiseql_observer_action_errors_total',
        { action_type: 'slack', error_type: 'http_5xx' },
        1,
      );
      await expectMetric('fraiseql_observer_action_retries_total', { action_type: 'slack' }, 1);
      await expectMetric('fraiseql_observer_action_executed_total', { action_type: 'slack' }, 1);
      await expectMetric(
        'fraiseql_observer_action_errors_total',
        { action_type: 'email', error_type: 'smtp_5xx' },
        1,
      );
    });

    it('counts failed events by error type when the handler throws', async () => {
      const source = createMemorySource();
      const runtime = createObserverRuntime({
        sources: source,
        handler: () =>
          Promise.reject(
            new ObserverError('CIRCUIT_OPEN', 'breaker open', {
              retryable: true,
              errorType: 'circuit_open',
            }),
          ),
        retry: { maxAttempts: 1 },
        metrics,
      });
      await runtime.start();
      source.publish([makeEvent(), makeEvent()]);
      await waitFor(() => source.parked().length === 2, {
        timeoutMs: 10_000,
        message: 'both events parked',
      });
      await runtime.close();
      await expectMetric(
        'fraiseql_observer_events_failed_total',
        { error_type: 'circuit_open' },
        2,
      );
    });

    it('reports the runs of an observer waiting on a retry backoff, and 0 once they end', async () => {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let calls = 0;
      const flaky = scriptedAction('search', () => {
        calls += 1;
        if (calls === 1) throw new ObserverError('ACTION_FAILED', 'busy', { retryable: true });
      });
      const executor = createObserverExecutor({
        matcher: lookup([
          {
            name: 'indexer',
            actions: [{ type: 'search' }],
            retry: { strategy: 'fixed', maxAttempts: 2, initialDelay: 60_000, maxDelay: 60_000 },
          },
        ]),
        registry: actions(flaky),
        metrics,
        random: () => 0.999,
      });
      const run = executor(makeEvent(), {
        detach: () => {
          release();
          return true;
        },
      });
      await gate;
      await expectMetric('fraiseql_observer_waiting', { observer: 'indexer' }, 1);
      await executor.close();
      await run.catch(() => undefined);
      await expectMetric('fraiseql_observer_waiting', { observer: 'indexer' }, 0);
    });

    it('moves the dead-letter gauge and the in/out counters (PostgreSQL dead-letter table)', async () => {
      let healthy = false;
      const webhook = scriptedAction('webhook', () => {
        if (!healthy) throw new ObserverError('ACTION_FAILED', '404', { errorType: 'http_4xx' });
      });
      const dlq = createDeadLetterQueue(db, { metrics });
      const executor = createObserverExecutor({
        matcher: lookup([{ name: 'hook', actions: [{ type: 'webhook' }], onFailure: 'dlq' }]),
        registry: actions(webhook),
        dlq,
        metrics,
      });
      await executor(makeEvent());
      await executor(makeEvent());
      await expectMetric('fraiseql_observer_dlq_added_total', { action_type: 'webhook' }, 2);
      await expectMetric('fraiseql_observer_dlq_items', {}, 2);
      const [first, second] = await dlq.list();
      healthy = true;
      expect((await dlq.retry(first!.id)).status).toBe('succeeded');
      await expectMetric('fraiseql_observer_dlq_removed_total', { reason: 'retried' }, 1);
      expect(await dlq.remove(second!.id)).toBe(true);
      await expectMetric('fraiseql_observer_dlq_removed_total', { reason: 'removed' }, 1);
      await expectMetric('fraiseql_observer_dlq_items', {}, 0);
      await executor.close();
    });

    it('counts invocation-log writes, drops when its buffer is full, and the buffered attempts', async () => {
      const log = createInvocationLog(db, { metrics, maxBuffered: 2, flushInterval: '1h' });
      const executor = createObserverExecutor({
        matcher: lookup([{ name: 'logged', actions: [{ type: 'cache' }] }]),
        registry: actions(scriptedAction('cache', () => undefined)),
        metrics,
        onAttempt: log.record,
      });
      for (let i = 0; i < 3; i += 1) await executor(makeEvent());
      await expectMetric(
        'fraiseql_observer_invocations_dropped_total',
        { reason: 'buffer_full' },
        1,
      );
      await log.flush();
      await expectMetric('fraiseql_observer_invocations_written_total', {}, 2);
      await expectMetric('fraiseql_observer_invocations_buffered', {}, 0);
      await executor.close();
      await log.close();
    });

    it('counts dedup detections, skipped work, cache hits, misses and evictions', async () => {
      const dedup = createMemoryDedupStore({ maxEntries: 1, metrics });
      let failSecond = true;
      const first = scriptedAction('cache', () => undefined);
      const second = scriptedAction('search', () => {
        if (failSecond)
          throw new ObserverError('ACTION_FAILED', 'es down', { errorType: 'network' });
      });
      const executor = createObserverExecutor({
        matcher: lookup([
          { name: 'pair', actions: [{ type: 'cache' }, { type: 'search' }], onFailure: 'log' },
        ]),
        registry: actions(first, second),
        dedup,
        metrics,
      });
      const event = makeEvent();
      await executor(event); // action 0 done, action 1 failed: two cache misses
      failSecond = false;
      await executor(event); // redelivery: action 0 is a cache hit, action 1 runs (a miss)
      await expectMetric('fraiseql_observer_cache_misses_total', {}, 3);
      await expectMetric('fraiseql_observer_cache_hits_total', {}, 1);
      await expectMetric('fraiseql_observer_dedup_detected_total', {}, 1);
      await expectMetric('fraiseql_observer_dedup_processing_skipped_total', {}, 1);
      await executor(makeEvent()); // a second finished record pushes the first out (maxEntries 1)
      await expectMetric('fraiseql_observer_cache_evictions_total', {}, 1);
      await executor.close();
    });

    it('counts dedup store outages and keeps processing (a store that fails every call)', async () => {
      const down = (): Promise<never> => Promise.reject(new Error('connect ECONNREFUSED'));
      const executor = createObserverExecutor({
        matcher: lookup([{ name: 'outage', actions: [{ type: 'noop' }] }]),
        registry: actions(scriptedAction('noop', () => undefined)),
        dedup: {
          kind: 'unreachable',
          claim: down,
          extend: down,
          complete: down,
          release: down,
          close: () => Promise.resolve(),
          [Symbol.asyncDispose]: () => Promise.resolve(),
        },
        metrics,
      });
      await executor(makeEvent());
      await executor.close();
      await expectMetric('fraiseql_observer_dedup_unavailable_total', {}, 1);
      await expectMetric('fraiseql_observer_action_executed_total', { action_type: 'noop' }, 1);
    });

    it('reports breaker states and transitions per endpoint host', async () => {
      let calls = 0;
      const api = scriptedAction(
        'webhook-breaker',
        () => {
          calls += 1;
          if (calls <= 2) {
            throw new ObserverError('ACTION_FAILED', '502', {
              retryable: true,
              errorType: 'http_5xx',
            });
          }
        },
        'api.example.test',
      );
      const executor = createObserverExecutor({
        matcher: lookup([{ name: 'b', actions: [{ type: 'webhook-breaker' }], retry: fastRetry }]),
        registry: actions(api),
        breaker: { minimumCalls: 2, failureRate: 0.5, coolDown: 20 },
        metrics,
      });
      await executor(makeEvent()); // fail, fail → open; cool-down → half-open; probe ok → closed
      await executor.close();
      const endpoint = 'api.example.test';
      for (const state of ['open', 'half-open', 'closed']) {
        await expectMetric('fraiseql_observer_breaker_transitions_total', { endpoint, state }, 1);
      }
      await expectMetric('fraiseql_observer_breaker_state', { endpoint }, 0);
    });

    it('reports capture lag and backlog of the change-log source while events wait', async () => {
      await db.exec('CREATE TABLE tb_lag (id int PRIMARY KEY, v int NOT NULL)');
      await installCapture(db, { table: 'tb_lag', entityType: 'Lag', idColumn: 'id' });
      await db.exec('INSERT INTO tb_lag SELECT g, g FROM generate_series(1, 5) g');
      const source = createChangeLogSource(db, {
        consumer: 'metrics-lag',
        statsInterval: 20,
        metrics,
      });
      let release = (): void => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const runtime = createObserverRuntime({
        sources: source,
        handler: () => gate,
        metrics, // a plain handler: the runtime counts its events
      });
      await runtime.start();
      const lagEvents = await waitFor(
        async () => {
          const n = await readMetric(registry, 'fraiseql_observer_capture_lag_events', {
            source: 'change-log',
          });
          return n === 5 ? n : false;
        },
        { timeoutMs: 15_000, message: 'capture lag of 5 events reported' },
      );
      expect(lagEvents).toBe(5);
      proven.add('fraiseql_observer_capture_lag_events');
      expect(
        await readMetric(registry, 'fraiseql_observer_backlog_size', { source: 'change-log' }),
      ).toBe(5);
      proven.add('fraiseql_observer_backlog_size');
      expect(
        await readMetric(registry, 'fraiseql_observer_capture_lag_seconds', {
          source: 'change-log',
        }),
      ).toBeGreaterThan(0);
      proven.add('fraiseql_observer_capture_lag_seconds');
      release();
      await waitFor(
        async () =>
          (await readMetric(registry, 'fraiseql_observer_backlog_size', {
            source: 'change-log',
          })) === 0,
        { timeoutMs: 15_000, message: 'backlog drained to 0' },
      );
      await runtime.close();
    });

    it('reports NATS pending, redeliveries and malformed messages per consumer', async () => {
      const stream = await createTestStream(nats);
      const durable = `${stream.name}_W`;
      const source = createNatsSource({
        servers: stream.url,
        stream: stream.name,
        subjectPrefix: stream.subjectPrefix,
        durable,
        nakDelay: 20,
        statsInterval: 100,
        metrics,
      });
      const seen = new Set<string>();
      await source.start({
        onDelivery: async (delivery) => {
          if (delivery.attempt === 1) {
            await delivery.settle({ status: 'retry', delayMs: 20, error: new Error('later') });
          } else {
            seen.add(delivery.event.id);
            await delivery.settle({ status: 'done' });
          }
        },
      });
      const nc = await connect({ servers: stream.url });
      try {
        const js = jetstream(nc);
        await js.publish(`${stream.subjectPrefix}.Order.INSERT`, '{"id": not json');
        const events = [makeEvent('n-1'), makeEvent('n-2')];
        for (const event of events) {
          await js.publish(eventSubject(stream.subjectPrefix, event), serializeEvent(event), {
            msgID: event.id,
          });
        }
        await waitFor(() => seen.size === 2, { timeoutMs: 20_000, message: 'both redelivered' });
        // The consumer's backlog, from its info every statsInterval: empty once all is acked.
        await waitFor(
          async () =>
            (await readMetric(registry, 'fraiseql_observer_nats_pending', {
              consumer: durable,
            })) === 0 &&
            (await readMetric(registry, 'fraiseql_observer_capture_lag_seconds', {
              source: 'nats',
            })) === 0,
          { timeoutMs: 10_000, message: 'an empty NATS backlog reported' },
        );
      } finally {
        await nc.close();
        await source.close();
        await stream.close();
      }
      await expectMetric('fraiseql_observer_nats_redelivered_total', { consumer: durable }, 2);
      await expectMetric('fraiseql_observer_events_malformed_total', { source: 'nats' }, 1);
      await expectMetric('fraiseql_observer_nats_pending', { consumer: durable }, 0);
      expect(
        await readMetric(registry, 'fraiseql_observer_source_batch_size_count', { source: 'nats' }),
      ).toBeGreaterThan(0);
    });

    it('reports the state and outages of every service connection a runtime knows', async () => {
      const smtp = new ServiceHealthTracker({ name: 'smtp:mail:25', kind: 'smtp', initial: 'up' });
      const runtime = createObserverRuntime({
        sources: createMemorySource(),
        services: [smtp],
        handler: () => Promise.resolve(),
        statsInterval: 10,
        metrics,
      });
      await runtime.start();
      const labels = { service: 'smtp:mail:25', kind: 'smtp' };
      await expectMetric('fraiseql_service_up', labels, 1);
      await expectMetric('fraiseql_service_outages_total', labels, 0);
      smtp.reconnecting(new Error('ECONNREFUSED'));
      await waitFor(async () => (await readMetric(registry, 'fraiseql_service_up', labels)) === 0, {
        timeoutMs: 10_000,
        message: 'the outage reported',
      });
      await expectMetric('fraiseql_service_state', { ...labels, state: 'reconnecting' }, 1);
      await expectMetric('fraiseql_service_outages_total', labels, 1);
      smtp.up();
      smtp.down(new Error('again'));
      await runtime.close(); // reports a last time
      await expectMetric('fraiseql_service_outages_total', labels, 2);
      await expectMetric('fraiseql_service_state', { ...labels, state: 'down' }, 1);
    });

    it("reports the change-log source's PostgreSQL connections, and a lost LISTEN connection", async () => {
      const runtime = createObserverRuntime({
        sources: createChangeLogSource(db, { consumer: 'service-metrics' }),
        handler: () => Promise.resolve(),
        statsInterval: 10,
        metrics,
      });
      await runtime.start();
      try {
        const pool = { service: 'postgres', kind: 'postgres' };
        const listen = { service: 'postgres:listen', kind: 'postgres' };
        await waitFor(
          async () => (await readMetric(registry, 'fraiseql_service_up', listen)) === 1,
        );
        await expectMetric('fraiseql_service_up', pool, 1);
        await expectMetric('fraiseql_service_outages_total', listen, 0);
        // Only this test database's LISTEN connection: the server is shared.
        const admin = new pg.Client(database.url);
        await admin.connect();
        try {
          const killed = await admin.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid()
                AND query = 'LISTEN fraiseql_change_log'`,
          );
          expect(killed.rowCount).toBe(1);
        } finally {
          await admin.end();
        }
        await waitFor(
          async () =>
            (await readMetric(registry, 'fraiseql_service_outages_total', listen)) === 1 &&
            (await readMetric(registry, 'fraiseql_service_up', listen)) === 1,
          { timeoutMs: 20_000, message: 'the LISTEN outage counted and recovered' },
        );
        await expectMetric('fraiseql_service_state', { ...listen, state: 'up' }, 1);
      } finally {
        await runtime.close();
      }
    });

    it('moves every job-queue metric through the job-queue seam', async () => {
      // Assignable to the job-queue package's own seam type: the shapes agree.
      const jobs: JobQueueMetrics = createJobQueueMetrics(registry);
      jobs.jobQueued('actions', 'webhook');
      jobs.jobFailed('actions', 'webhook', 'http_5xx', 0.2);
      jobs.jobRetried('actions', 'webhook');
      jobs.jobExecuted('actions', 'webhook', 0.1);
      jobs.queueDepth('actions', 'waiting', 3);
      jobs.dlqItems('actions', 1);
      const labels = { queue: 'actions', action_type: 'webhook' };
      await expectMetric('fraiseql_observer_job_queued_total', labels, 1);
      await expectMetric(
        'fraiseql_observer_job_failed_total',
        { ...labels, error_type: 'http_5xx' },
        1,
      );
      await expectMetric('fraiseql_observer_job_retry_attempts_total', labels, 1);
      await expectMetric('fraiseql_observer_job_executed_total', labels, 1);
      await expectMetric(
        'fraiseql_observer_job_duration_seconds_count',
        labels,
        2,
        'fraiseql_observer_job_duration_seconds',
      );
      await expectMetric(
        'fraiseql_observer_job_queue_depth',
        { queue: 'actions', state: 'waiting' },
        3,
      );
      await expectMetric('fraiseql_observer_job_dlq_items', { queue: 'actions' }, 1);
    });

    it('declares no metric that the tests above did not see move', async () => {
      const declared = await fraiseqlMetricNames(registry);
      expect(declared.length).toBeGreaterThan(25);
      expect(declared.filter((name) => !proven.has(name))).toEqual([]);
    });
  },
);
