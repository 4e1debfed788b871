import {
  connectDatabase,
  coreMigrations,
  migrate,
  pgliteClient,
  type SqlClient,
} from '@fraiseql/core';
import { createTestDatabase, createTestPGlite, requireService } from '@fraiseql/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createActionRegistry, type ActionRegistry } from '../src/actions/action-registry.js';
import { webhookActionSchema } from '../src/config/action-config.js';
import { ObserverError } from '../src/errors.js';
import type { ActionAttempt } from '../src/execution/action-attempt.js';
import { createObserverExecutor } from '../src/execution/observer-executor.js';
import { createInvocationLog } from '../src/invocations/invocation-log.js';
import { redeliverEvent } from '../src/invocations/redeliver-event.js';
import { observerMigrations } from '../src/migrations/observer-migrations.js';
import { startHttpReceiver, type HttpReceiver } from './actions-http-receiver.js';
import { makeEvent, matcherOf, recordingMetrics } from './execution-helpers.js';

const pg = await requireService('postgres');
const SECRET = 'whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw==';

function attempt(overrides: Partial<ActionAttempt> = {}): ActionAttempt {
  return {
    event: makeEvent(),
    observer: 'synthetic',
    actionIndex: 0,
    actionType: 'function',
    attempt: 1,
    startedAt: Date.now(),
    durationMs: 1,
    result: { summary: 'done' },
    ...overrides,
  };
}

function suite(name: string, open: () => Promise<{ db: SqlClient; close(): Promise<void> }>) {
  describe(`invocation log on ${name}`, () => {
    let db: SqlClient;
    let close: () => Promise<void>;
    let receiver: HttpReceiver;
    let registry: ActionRegistry;

    beforeAll(async () => {
      const opened = await open();
      db = opened.db;
      close = () => opened.close();
      await migrate(db, { sets: [coreMigrations, observerMigrations] });
      receiver = await startHttpReceiver();
      registry = createActionRegistry();
    });
    afterAll(async () => {
      await registry.close();
      await receiver.close();
      await close();
    });
    beforeEach(async () => {
      await db.query('DELETE FROM core.tb_observer_invocation');
    });

    it('records every webhook attempt, failures and the success, with status, redacted headers and body, and error class', async () => {
      const metrics = recordingMetrics();
      const log = createInvocationLog(db, { metrics, bodyExcerpt: 200 });
      const webhook = webhookActionSchema.parse({
        type: 'webhook',
        url: `${receiver.url}/orders?key=path-secret`,
        allowHosts: ['127.0.0.1'],
        headers: { authorization: 'Bearer request-secret-token' },
        signing: { secrets: [SECRET] },
      });
      const execute = createObserverExecutor({
        matcher: matcherOf([
          {
            name: 'order-hook',
            entity: 'order',
            actions: [webhook],
            retry: { strategy: 'fixed', maxAttempts: 3, initialDelay: 10 },
          },
        ]),
        registry,
        breaker: false,
        onAttempt: log.record,
      });
      let calls = 0;
      receiver.respond((_request, response) => {
        calls += 1;
        if (calls === 1) {
          response
            .writeHead(503, {
              'content-type': 'application/json',
              'set-cookie': 'session=cookie-secret',
              'x-upstream-signature': 'sig-secret',
              'retry-after': '0',
            })
            .end(`{"error":"down","token":"body-secret","detail":"${'x'.repeat(500)}"}`);
        } else {
          response.writeHead(202, { 'x-request-id': 'req-1' }).end('accepted');
        }
      });
      const event = makeEvent({ entityId: 'o-1' });
      await execute(event);
      await log.flush();

      const rows = await log.list({ eventId: event.id });
      expect(rows.map((row) => [row.attempt, row.outcome, row.httpStatus])).toEqual([
        [2, 'success', 202],
        [1, 'failure', 503],
      ]);
      const [success, failure] = rows;
      expect(success).toMatchObject({
        observer: 'order-hook',
        actionType: 'webhook',
        entityType: 'order',
        entityId: 'o-1',
        trigger: 'delivery',
        responseBody: 'accepted',
        target: `POST ${receiver.url}/…`,
      });
      expect(success?.responseHeaders?.['x-request-id']).toBe('req-1');
      expect(success?.errorMessage).toBeUndefined();
      expect(failure).toMatchObject({
        errorCode: 'ACTION_FAILED',
        errorType: 'http_5xx',
        errorClass: 'ObserverError',
        retryable: true,
      });
      expect(failure?.errorMessage).toContain('HTTP 503');
      expect(failure?.responseHeaders).toMatchObject({
        'set-cookie': '<redacted>',
        'x-upstream-signature': '<redacted>',
        'content-type': 'application/json',
      });
      expect(failure?.responseBody?.startsWith('{"error":"down"')).toBe(true);
      expect(failure?.responseBody?.length).toBeLessThan(230);
      expect(failure?.responseBody).toContain('"token":"<redacted>"');
      expect(failure?.durationMs).toBeGreaterThanOrEqual(0);
      // No secret of the request, the signing key or the response survives anywhere in a row.
      const text = JSON.stringify(rows);
      for (const secret of [
        SECRET,
        'request-secret-token',
        'path-secret',
        'cookie-secret',
        'sig-secret',
        'body-secret',
      ]) {
        expect(text).not.toContain(secret);
      }
      expect(metrics.counts.invocationsWritten).toBeGreaterThan(0);

      // Filters: observer, status (outcome, code, class), since.
      expect(await log.list({ observer: 'other' })).toEqual([]);
      expect((await log.list({ status: 'failure' })).map((r) => r.attempt)).toEqual([1]);
      expect((await log.list({ status: '5xx' })).map((r) => r.attempt)).toEqual([1]);
      expect((await log.list({ status: '202' })).map((r) => r.attempt)).toEqual([2]);
      expect(await log.list({ since: new Date(Date.now() + 60_000) })).toEqual([]);
      // Following: rows after an id, oldest first.
      const after = await log.list({ afterId: failure?.id });
      expect(after.map((r) => r.id)).toEqual([success?.id]);
      await expect(log.list({ status: 'maybe' })).rejects.toThrow(/status: expected/);
      await log.close();
    });

    it('drops attempts beyond a full buffer with a counter instead of waiting, and records nothing when off', async () => {
      const metrics = recordingMetrics();
      const log = createInvocationLog(db, { metrics, maxBuffered: 2, flushInterval: '1h' });
      for (let i = 0; i < 5; i += 1) log.record(attempt());
      expect(log.stats()).toMatchObject({ buffered: 2, droppedFull: 3 });
      expect(metrics.counts.invocationsDropped).toBe(3);
      await log.flush();
      expect(log.stats()).toMatchObject({ buffered: 0, written: 2 });
      expect(await log.list()).toHaveLength(2);
      await log.close();

      const off = createInvocationLog(db, { enabled: false });
      off.record(attempt());
      await off.flush();
      expect(off.stats()).toMatchObject({ enabled: false, written: 0, buffered: 0 });
      expect(await off.list()).toHaveLength(2);
      await off.close();
    });

    it('keeps recording when an attempt carries hostile data, and writes full batches without the timer', async () => {
      const log = createInvocationLog(db, { batchSize: 3, flushInterval: '1h' });
      const hostile = attempt({
        event: makeEvent({ entityId: 'e\u0000\u{1F600}"\'' }),
        error: new ObserverError('ACTION_FAILED', 'failed at rediss://:hunter2@cache:6379'),
        result: undefined,
      });
      log.record(hostile);
      log.record(attempt());
      log.record(attempt());
      await expect.poll(() => log.stats().written, { timeout: 10_000 }).toBe(3);
      const rows = await log.list({ status: 'failure' });
      expect(rows[0]?.errorMessage).toBe('failed at rediss://:***@cache:6379');
      await log.close();
    });

    it('deletes rows beyond the age and the row cap, in batches', async () => {
      const log = createInvocationLog(db, {
        maxAge: '1h',
        maxRows: 3,
        pruneBatch: 2,
        pruneInterval: 0,
      });
      const old = Date.now() - 2 * 3_600_000;
      for (let i = 0; i < 5; i += 1) log.record(attempt({ startedAt: old }));
      for (let i = 0; i < 5; i += 1) log.record(attempt({ attempt: i + 1 }));
      await log.flush();
      expect(await log.prune()).toBe(7);
      const left = await log.list();
      expect(left.map((row) => row.attempt)).toEqual([5, 4, 3]);
      expect(log.stats().pruned).toBe(7);
      await log.close();
    });

    it('redelivers one event to one observer and logs the attempts with who asked', async () => {
      const log = createInvocationLog(db);
      const webhook = webhookActionSchema.parse({
        type: 'webhook',
        url: `${receiver.url}/again`,
        allowHosts: ['127.0.0.1'],
      });
      const observer = { name: 'again-hook', entity: 'order', actions: [webhook] };
      const execute = createObserverExecutor({
        matcher: matcherOf([observer]),
        registry,
        breaker: false,
        onAttempt: log.record,
      });
      receiver.respond((_request, response) => response.writeHead(200).end('ok'));
      const event = makeEvent();
      await execute(event);
      const result = await redeliverEvent({
        replay: execute.replay,
        observer,
        event,
        log,
        actor: 'alice',
      });
      expect(result).toMatchObject({ ok: true, actions: [{ status: 'succeeded' }] });
      await log.flush();
      const rows = await log.list({ eventId: event.id });
      expect(rows.map((row) => [row.trigger, row.actor ?? null])).toEqual([
        ['redelivery', 'alice'],
        ['delivery', null],
      ]);
      await log.close();
    });
  });
}

if (pg !== undefined) {
  suite('PostgreSQL', async () => {
    const database = await createTestDatabase(pg);
    const db = await connectDatabase({ url: database.url });
    return {
      db,
      close: async () => {
        await db.close();
        await database.close();
      },
    };
  });
}

suite('PGlite', async () => {
  const pglite = await createTestPGlite();
  const db = pgliteClient(pglite.db);
  return {
    db,
    close: async () => {
      await db.close();
      await pglite.close();
    },
  };
});
