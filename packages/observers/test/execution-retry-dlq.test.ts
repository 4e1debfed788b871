import { coreMigrations, connectDatabase, migrate, type SqlClient } from '@fraiseql/core';
import { createTestDatabase, requireService, type TestDatabase } from '@fraiseql/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDeadLetterQueue, type DeadLetterQueue } from '../src/dlq/dead-letter-queue.js';
import { createObserverExecutor } from '../src/execution/observer-executor.js';
import type { ObserverAlert } from '../src/execution/failure-policy.js';
import { RetryPolicy } from '../src/execution/retry-policy.js';
import { observerMigrations } from '../src/migrations/observer-migrations.js';
import {
  capturingLogger,
  functionActions,
  httpPostAction,
  makeEvent,
  matcherOf,
  recordingMetrics,
  registryOf,
  startReceiver,
  type Receiver,
} from './execution-helpers.js';

const pg = await requireService('postgres');

describe.skipIf(pg === undefined)(
  'observer executor: retries, failure policy and DLQ (PostgreSQL)',
  () => {
    let database: TestDatabase;
    let db: SqlClient;
    let receiver: Receiver;

    beforeAll(async () => {
      database = await createTestDatabase(pg);
      db = await connectDatabase({ url: database.url });
      await migrate(db, { sets: [coreMigrations, observerMigrations] });
      receiver = await startReceiver();
    });

    afterAll(async () => {
      await receiver.close();
      await db.close();
      await database.close();
    });

    beforeEach(async () => {
      receiver.requests.length = 0;
      receiver.respond = () => ({ status: 204 });
      await db.query('DELETE FROM core.tb_observer_dead_letter');
    });

    function setup(options: { random?: () => number; dlq?: DeadLetterQueue } = {}) {
      const metrics = recordingMetrics();
      const logger = capturingLogger();
      const dlq = options.dlq ?? createDeadLetterQueue(db, { metrics });
      return { metrics, logger, dlq };
    }

    it('retries a failing endpoint with jittered backoff, dead-letters it, then retries it from the DLQ once it recovers', async () => {
      const { metrics, logger, dlq } = setup();
      const retry = {
        strategy: 'exponential',
        maxAttempts: 4,
        initialDelay: 40,
        maxDelay: 1000,
      } as const;
      const observer = {
        name: 'notify',
        actions: [{ type: 'http-post', url: `${receiver.url}/hook` }],
        retry,
        onFailure: 'dlq',
      } as const;
      // Jitter at its top end makes every delay its cap, so the gaps have a known lower bound.
      const execute = createObserverExecutor({
        matcher: matcherOf([observer]),
        registry: registryOf(httpPostAction),
        dlq,
        metrics,
        logger,
        random: () => 0.999_999,
        breaker: false,
      });
      receiver.respond = () => ({ status: 503 });
      const event = makeEvent({ entityId: '42' });

      await execute(event); // resolves: the failure went to the DLQ, the event is done

      expect(receiver.requests).toHaveLength(4);
      const policy = new RetryPolicy(retry);
      const gaps = receiver.requests.slice(1).map((r, i) => r.at - (receiver.requests[i]?.at ?? 0));
      gaps.forEach((gap, i) => {
        // Timers never fire early by more than clock rounding.
        expect(gap).toBeGreaterThanOrEqual(policy.delayCap(i + 1) - 2);
      });
      const retried = logger.lines.filter((l) => l.message === 'action failed; retrying');
      expect(retried.map((l) => l.fields.delayMs)).toEqual([40, 80, 160]);
      expect(metrics.counts.actionRetried).toBe(3);
      expect(metrics.counts.actionFailed).toBe(4);

      const [item, ...others] = await dlq.list();
      expect(others).toEqual([]);
      expect(item).toMatchObject({
        observer: 'notify',
        actionIndex: 0,
        actionType: 'http-post',
        errorType: 'http_5xx',
        retryCount: 0,
      });
      expect(item?.event.id).toBe(event.id);
      expect(item?.event.seq).toBe(event.seq);
      expect(item?.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
      expect(item?.attempts.every((a) => a.errorType === 'http_5xx' && a.durationMs >= 0)).toBe(
        true,
      );
      expect(metrics.dlq.at(-1)).toBe(1);

      // Still down: the retry fails, the item stays with one more attempt in its history.
      const stillDown = await dlq.retry(item!.id);
      expect(stillDown.status).toBe('failed');
      const afterFailedRetry = await dlq.show(item!.id);
      expect(afterFailedRetry.retryCount).toBe(1);
      expect(afterFailedRetry.attempts).toHaveLength(5);

      receiver.respond = () => ({ status: 204 });
      const recovered = await dlq.retry(item!.id);
      expect(recovered).toEqual({
        id: item!.id,
        status: 'succeeded',
        summary: `POST ${new URL(receiver.url).host} 204`,
      });
      expect(await dlq.list()).toEqual([]);
      expect(metrics.dlq.at(-1)).toBe(0);
      expect(receiver.requests).toHaveLength(6);
    });

    it('keeps real jittered delays within [0, cap(attempt)]', async () => {
      const { metrics, logger, dlq } = setup();
      const retry = {
        strategy: 'exponential',
        maxAttempts: 6,
        initialDelay: 10,
        maxDelay: 50,
      } as const;
      const execute = createObserverExecutor({
        matcher: matcherOf([
          { name: 'o', actions: [{ type: 'http-post', url: receiver.url }], retry },
        ]),
        registry: registryOf(httpPostAction),
        dlq,
        metrics,
        logger,
        breaker: false,
      });
      receiver.respond = () => ({ status: 500 });
      await Promise.all(Array.from({ length: 10 }, () => execute(makeEvent())));
      const policy = new RetryPolicy(retry);
      const retried = logger.lines.filter((l) => l.message === 'action failed; retrying');
      expect(retried).toHaveLength(50);
      for (const line of retried) {
        const { attempt, delayMs } = line.fields as { attempt: number; delayMs: number };
        expect(delayMs).toBeGreaterThanOrEqual(0);
        expect(delayMs).toBeLessThanOrEqual(policy.delayCap(attempt));
      }
      // Full jitter spreads them: not all equal to the cap.
      expect(new Set(retried.map((l) => l.fields.delayMs)).size).toBeGreaterThan(5);
      expect((await dlq.stats()).total).toBe(10);
    });

    it('honours Retry-After over its own backoff', async () => {
      const { metrics, dlq } = setup();
      let calls = 0;
      receiver.respond = () => {
        calls += 1;
        return calls === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 204 };
      };
      const execute = createObserverExecutor({
        matcher: matcherOf([
          {
            name: 'o',
            actions: [{ type: 'http-post', url: receiver.url }],
            retry: { initialDelay: 1, maxDelay: 5 },
          },
        ]),
        registry: registryOf(httpPostAction),
        dlq,
        metrics,
      });
      await execute(makeEvent());
      expect(receiver.requests).toHaveLength(2);
      const [first, second] = receiver.requests;
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(998);
      expect(metrics.counts.actionExecuted).toBe(1);
      expect(await dlq.count()).toBe(0);
    });

    it('does not retry a permanent 4xx and applies log and alert policies without the DLQ', async () => {
      const { metrics, logger, dlq } = setup();
      const alerts: ObserverAlert[] = [];
      receiver.respond = () => ({ status: 400 });
      const execute = createObserverExecutor({
        matcher: matcherOf([
          { name: 'logged', actions: [{ type: 'http-post', url: receiver.url }], onFailure: 'log' },
          {
            name: 'alerted',
            actions: [{ type: 'http-post', url: receiver.url }],
            onFailure: 'alert',
          },
          { name: 'dead', actions: [{ type: 'http-post', url: receiver.url }], onFailure: 'dlq' },
        ]),
        registry: registryOf(httpPostAction),
        dlq,
        metrics,
        logger,
        onAlert: (alert) => {
          alerts.push(alert);
        },
      });
      const event = makeEvent();
      await execute(event);
      expect(receiver.requests).toHaveLength(3); // one each, no retries
      expect(metrics.counts.actionRetried).toBeUndefined();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ observer: 'alerted', reason: 'permanent', actionIndex: 0 });
      expect(alerts[0]?.error.errorType).toBe('http_400');
      expect((await dlq.list()).map((item) => item.observer)).toEqual(['dead']);
      expect(metrics.counts.actionFailed).toBe(3);
      expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.fields.observer)).toEqual(
        expect.arrayContaining(['logged', 'alerted']),
      );
    });

    it('aborts a slow action at its timeout and retries it', async () => {
      const { metrics, dlq } = setup();
      const signals: AbortSignal[] = [];
      let calls = 0;
      const execute = createObserverExecutor({
        matcher: matcherOf([
          {
            name: 'slow',
            actions: [{ type: 'function', name: 'slow', timeout: 50 }],
            retry: { maxAttempts: 2, initialDelay: 1 },
          },
        ]),
        registry: registryOf(
          functionActions({
            // Ignores its signal on purpose: the executor must still move on at the timeout.
            slow: (_event, signal) => {
              signals.push(signal);
              calls += 1;
              return new Promise(() => undefined);
            },
          }),
        ),
        dlq,
        metrics,
      });
      await execute(makeEvent());
      expect(calls).toBe(2);
      expect(signals.every((s) => s.aborted)).toBe(true);
      const [item] = await dlq.list();
      expect(item?.errorCode).toBe('ACTION_TIMEOUT');
      expect(item?.attempts.map((a) => a.errorType)).toEqual(['timeout', 'timeout']);
    });

    it('hands the event back when the dead-letter write fails', async () => {
      const { metrics } = setup();
      const broken = createDeadLetterQueue({
        ...db,
        dialect: db.dialect,
        query: () => Promise.reject(new Error('database is down')),
      } as SqlClient);
      receiver.respond = () => ({ status: 400 });
      const execute = createObserverExecutor({
        matcher: matcherOf([{ name: 'o', actions: [{ type: 'http-post', url: receiver.url }] }]),
        registry: registryOf(httpPostAction),
        dlq: broken,
        metrics,
      });
      await expect(execute(makeEvent())).rejects.toThrow('database is down');
    });
  },
);
