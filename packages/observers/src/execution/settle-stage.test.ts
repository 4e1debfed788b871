import type { EntityEvent } from '@fraiseql/core';
import { silentLogger } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';
import type { DeadLetterQueue } from '../dlq/dead-letter-queue.js';
import { ObserverError } from '../errors.js';
import { noopObserverMetrics } from '../metrics/observer-metrics.js';
import { SettleStage, settleEvent } from './settle-stage.js';

const event = {
  id: 'e-1',
  seq: 1n,
  eventType: 'INSERT',
  entityType: 'order',
  entityId: '1',
  data: {},
  timestamp: new Date(),
} as EntityEvent;
const failure = new ObserverError('ACTION_FAILED', 'boom', {
  retryable: true,
  errorType: 'http_5xx',
});
const outcome = {
  ok: false as const,
  error: failure,
  reason: 'max-attempts' as const,
  attempts: [],
};

function dlq(added: unknown[], fail = false): DeadLetterQueue {
  return {
    add: (item: unknown) => {
      if (fail) return Promise.reject(new Error('dlq down'));
      added.push(item);
      return Promise.resolve('id');
    },
  } as unknown as DeadLetterQueue;
}

describe('SettleStage (settle and report)', () => {
  it('dead-letters a failed action without reporting a failure to the runtime', async () => {
    const added: unknown[] = [];
    const reported: string[] = [];
    const settle = new SettleStage({
      dlq: dlq(added),
      logger: silentLogger,
      metrics: noopObserverMetrics,
      onAlert: undefined,
    });
    await settle.actionFailed(
      { name: 'a', actions: [{ type: 'webhook' }] },
      0,
      'webhook',
      event,
      outcome,
      { reportFailure: (t) => reported.push(t) },
    );
    expect(added).toMatchObject([
      { observer: 'a', actionIndex: 0, actionType: 'webhook', errorType: 'http_5xx' },
    ]);
    expect(reported).toEqual([]);
  });

  it('reports a failure that was only logged or alerted, and alerts', async () => {
    const alerts: unknown[] = [];
    const reported: string[] = [];
    const settle = new SettleStage({
      dlq: undefined,
      logger: silentLogger,
      metrics: noopObserverMetrics,
      onAlert: (alert) => {
        alerts.push(alert.observer);
      },
    });
    const context = { reportFailure: (t: string) => reported.push(t) };
    await settle.actionFailed(
      { name: 'a', actions: [], onFailure: 'alert' },
      0,
      'webhook',
      event,
      outcome,
      context,
    );
    await settle.actionFailed(
      { name: 'b', actions: [], onFailure: 'log' },
      0,
      'webhook',
      event,
      outcome,
      context,
    );
    await settle.conditionFailed(
      { name: 'c', actions: [], onFailure: 'log' },
      event,
      new ObserverError('CONDITION_EVAL', 'bad path', { errorType: 'condition' }),
      context,
    );
    expect(alerts).toEqual(['a']);
    expect(reported).toEqual(['http_5xx', 'http_5xx', 'condition']);
  });

  it('throws when the dead-letter write fails, so the event is delivered again', async () => {
    const settle = new SettleStage({
      dlq: dlq([], true),
      logger: silentLogger,
      metrics: noopObserverMetrics,
      onAlert: undefined,
    });
    await expect(
      settle.actionFailed({ name: 'a', actions: [] }, 0, 'webhook', event, outcome, {}),
    ).rejects.toThrow('dlq down');
  });
});

describe('settleEvent', () => {
  const handBack = new ObserverError('CIRCUIT_OPEN', 'later', { retryable: true, deferred: true });
  const real = new ObserverError('ACTION_FAILED', 'now', { retryable: true });

  it('resolves when every run resolved, and with no runs', async () => {
    await expect(settleEvent([])).resolves.toBeUndefined();
    await expect(settleEvent([Promise.resolve(), Promise.resolve()])).resolves.toBeUndefined();
  });

  it('waits for every run, and a real failure outranks a hand-back', async () => {
    let lateDone = false;
    const late = new Promise<void>((resolve) =>
      setTimeout(() => {
        lateDone = true;
        resolve();
      }, 5),
    );
    await expect(settleEvent([Promise.reject(handBack), late, Promise.reject(real)])).rejects.toBe(
      real,
    );
    expect(lateDone).toBe(true);
    await expect(settleEvent([Promise.reject(handBack), Promise.resolve()])).rejects.toBe(handBack);
    await expect(settleEvent([Promise.reject(real)])).rejects.toBe(real);
  });
});
